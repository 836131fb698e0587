/**
 * The upstream CRDs: read from ../shared/crds (never from this repository), every file checked
 * against its pinned sha256 and against the folder's SOURCES.md; where they are missing or differ
 * the tests fail naming scripts/fetch-crds.sh, and that script is exercised here too — its hash
 * check against the real files, and its download path against a stand-in `curl` that serves the
 * local copies for exactly the upstream URLs SOURCES.md names.
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CRDS_DIR,
  CrdsUnavailableError,
  FETCH_SCRIPT,
  parseSourcesTable,
  readVerifiedCrds,
  upstreamCrds,
} from '../src/crds';
import { REPO_ROOT } from '../src/layout';

const run = promisify(execFile);
const SCRIPT = path.join(REPO_ROOT, FETCH_SCRIPT);
const scratch = mkdtempSync(path.join(tmpdir(), 'crds-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A writable copy of the CRD folder, changed by `mutate`. */
function copyOfCrds(name: string, mutate: (dir: string) => void = () => {}): string {
  const dir = path.join(scratch, name);
  cpSync(CRDS_DIR, dir, { recursive: true });
  chmodSync(dir, 0o755);
  mutate(dir);
  return dir;
}

function makeWritable(file: string): void {
  chmodSync(path.dirname(file), 0o755);
  chmodSync(file, 0o644);
}

async function fetchScript(args: string[], env: NodeJS.ProcessEnv = process.env) {
  try {
    const { stdout, stderr } = await run('bash', [SCRIPT, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the CRDs the validation reads', () => {
  it('are read from ../shared/crds beside the repository root, each matching its pinned sha256 and SOURCES.md', () => {
    expect(CRDS_DIR).toBe(path.resolve(REPO_ROOT, '../shared/crds'));
    const files = readVerifiedCrds();
    expect([...files.keys()].sort()).toEqual(
      upstreamCrds()
        .map((c) => c.file)
        .sort(),
    );
    const sources = parseSourcesTable(readFileSync(path.join(CRDS_DIR, 'SOURCES.md'), 'utf8'));
    expect(sources.map((row) => row.file).sort()).toEqual([...files.keys()].sort());
  });

  it('a missing folder fails with a message naming the script that downloads them', () => {
    expect(() => readVerifiedCrds(path.join(scratch, 'no-such-folder'))).toThrow(CrdsUnavailableError);
    expect(() => readVerifiedCrds(path.join(scratch, 'no-such-folder'))).toThrow(
      /does not exist.*Run `manifests\/scripts\/fetch-crds\.sh`/s,
    );
  });

  it('a changed or missing file fails, naming the file and the script', () => {
    const dir = copyOfCrds('tampered', (d) => {
      const file = path.join(d, 'flagger-v1.44.0/crd.yaml');
      makeWritable(file);
      writeFileSync(file, `${readFileSync(file, 'utf8')}\n# local edit\n`);
      chmodSync(path.join(d, 'traefik-v3.7.9'), 0o755);
      rmSync(path.join(d, 'traefik-v3.7.9/kubernetes-crd-definition-v1.yml'));
    });
    expect(() => readVerifiedCrds(dir)).toThrow(
      /flagger-v1\.44\.0\/crd\.yaml has sha256 [0-9a-f]{64}, pinned 8d7ad05c.*traefik-v3\.7\.9\/kubernetes-crd-definition-v1\.yml is missing.*fetch-crds\.sh/s,
    );
  });

  it('a SOURCES.md that disagrees with the pinned list fails', () => {
    const dir = copyOfCrds('other-sources', (d) => {
      const file = path.join(d, 'SOURCES.md');
      makeWritable(file);
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(
          '`15bd6ad555e6c935da55f0ab95977be74c149bd6`',
          '`0000000000000000000000000000000000000000`',
        ),
      );
    });
    expect(() => readVerifiedCrds(dir)).toThrow(
      /SOURCES\.md and scripts\/upstream-crds\.txt disagree about flagger-v1\.44\.0\/crd\.yaml/,
    );
  });
});

describe('scripts/fetch-crds.sh', () => {
  it('--verify passes on the real files and fails on a changed one, naming it', async () => {
    const ok = await fetchScript(['--verify', CRDS_DIR]);
    expect(ok).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/every CRD .* matches its pinned sha256/),
    });
    const dir = copyOfCrds('verify-tampered', (d) => {
      const file = path.join(d, 'argo-cd-v3.5.1/appproject-crd.yaml');
      makeWritable(file);
      writeFileSync(file, readFileSync(file, 'utf8').replace('AppProject', 'AppProjekt'));
    });
    const bad = await fetchScript(['--verify', dir]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(
      /argo-cd-v3\.5\.1\/appproject-crd\.yaml has sha256 [0-9a-f]{64}, expected ab2252669/,
    );
  });

  /** A `curl` that serves, for each upstream URL SOURCES.md names, the local copy (404 otherwise). */
  function fakeCurl(name: string, serve: (file: string) => string): NodeJS.ProcessEnv {
    const bin = path.join(scratch, name);
    mkdirSync(bin);
    const rows = parseSourcesTable(readFileSync(path.join(CRDS_DIR, 'SOURCES.md'), 'utf8'));
    const table = rows
      .map((r) => `https://raw.githubusercontent.com/${r.repository}/${r.commit}/${r.path} ${serve(r.file)}`)
      .join('\n');
    writeFileSync(path.join(bin, 'urls'), `${table}\n`);
    writeFileSync(
      path.join(bin, 'curl'),
      [
        '#!/usr/bin/env bash',
        'out="" url=""',
        'while [ $# -gt 0 ]; do case "$1" in --output) out="$2"; shift 2 ;; -*) shift ;; *) url="$1"; shift ;; esac; done',
        `src=$(awk -v u="$url" '$1 == u { print $2 }' "${path.join(bin, 'urls')}")`,
        '[ -n "$src" ] || { echo "curl: (22) 404 $url" >&2; exit 22; }',
        'cp "$src" "$out"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    return { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  }

  it('downloads every file from its upstream URL at the pinned commit and installs them', async () => {
    const dest = path.join(scratch, 'fetched');
    const result = await fetchScript(
      [dest],
      fakeCurl('curl-ok', (file) => path.join(CRDS_DIR, file)),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(Object.fromEntries(readVerifiedCrds(dest))).toEqual(
      Object.fromEntries(readVerifiedCrds(CRDS_DIR)),
    );
  });

  it('installs nothing when a download does not match its sha256', async () => {
    const other = path.join(scratch, 'other.yaml');
    writeFileSync(other, 'kind: NotTheCrd\n');
    const dest = path.join(scratch, 'not-fetched');
    const env = fakeCurl('curl-bad', (file) =>
      file.startsWith('cert-manager') ? other : path.join(CRDS_DIR, file),
    );
    const result = await fetchScript([dest], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cert-manager\.io_certificates\.yaml has sha256 .*nothing was installed/s);
    expect(() => readVerifiedCrds(dest)).toThrow(/does not exist/);
  });
});
