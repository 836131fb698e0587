/**
 * The upstream CustomResourceDefinitions rendered custom resources are validated against. They are
 * not part of this repository: they live in `../shared/crds` beside the repository root (`.ci/run`
 * expects it there; `scripts/fetch-crds.sh` — run by GitHub CI's workflow — downloads the same files from
 * their upstream repositories). Every
 * file is checked against its sha256 in `scripts/upstream-crds.txt` and, where the folder has one,
 * against the table in its `SOURCES.md` — a different or missing file fails the tests, never skips.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { MANIFESTS_DIR, REPO_ROOT } from './layout';

/** Where the tests look for the CRDs: `../shared/crds`, relative to the repository root. */
export const CRDS_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'crds');
export const FETCH_SCRIPT = 'manifests/scripts/fetch-crds.sh';
const LIST_FILE = path.join(MANIFESTS_DIR, 'scripts', 'upstream-crds.txt');

export interface UpstreamCrd {
  /** Path under the CRD folder, `<project>-<tag>/<file>`; the first segment names the bundle. */
  file: string;
  sha256: string;
  repository: string;
  commit: string;
  path: string;
}

export class CrdsUnavailableError extends Error {
  override name = 'CrdsUnavailableError';
}

export function upstreamCrds(listFile = LIST_FILE): UpstreamCrd[] {
  return readFileSync(listFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .map((line) => {
      const [file, sha256, repository, commit, upstreamPath, ...rest] = line.trim().split(/\s+/);
      if (
        file === undefined ||
        !/^[0-9a-f]{64}$/.test(sha256 ?? '') ||
        !/^[\w.-]+\/[\w.-]+$/.test(repository ?? '') ||
        !/^[0-9a-f]{40}$/.test(commit ?? '') ||
        upstreamPath === undefined ||
        rest.length > 0
      )
        throw new Error(`${listFile}: malformed line: ${line}`);
      return {
        file,
        sha256: sha256 as string,
        repository: repository as string,
        commit: commit as string,
        path: upstreamPath,
      };
    });
}

interface SourcesRow {
  file: string;
  repository: string;
  path: string;
  commit: string;
  bytes: number;
  sha256Prefix: string;
}

/** The table of `SOURCES.md` (file | repo | path | tag | commit | bytes | sha256 prefix | license). */
export function parseSourcesTable(text: string): SourcesRow[] {
  const unquote = (cell: string) => cell.trim().replace(/^`|`$/g, '');
  return text
    .split('\n')
    .filter((line) => /^\|\s*`/.test(line))
    .map((line) => {
      const cells = line.split('|').slice(1, -1).map(unquote);
      if (cells.length !== 8) throw new Error(`SOURCES.md: unexpected table row: ${line}`);
      const [file, repository, upstreamPath, , commit, bytes, sha256Prefix] = cells as string[];
      return {
        file: file as string,
        repository: repository as string,
        path: upstreamPath as string,
        commit: commit as string,
        bytes: Number(bytes),
        sha256Prefix: sha256Prefix as string,
      };
    });
}

const unavailable = (dir: string, why: string) =>
  new CrdsUnavailableError(
    `${why}. The manifests tests validate every rendered custom resource against the upstream CRDs in ` +
      `../shared/crds beside the repository root (${dir}); they are not copied into this repository. ` +
      `Run \`${FETCH_SCRIPT}\` to download them from their upstream repositories at the pinned commits ` +
      '(it checks every sha256), then run the tests again.',
  );

/**
 * Checks the CRD folder against the pinned list (and its SOURCES.md when present) and returns the
 * file contents by listed name. Throws CrdsUnavailableError, naming the fetch script, when the
 * folder or a file is missing or differs.
 */
export function readVerifiedCrds(dir = CRDS_DIR, listFile = LIST_FILE): Map<string, string> {
  if (!existsSync(dir)) throw unavailable(dir, `${dir} does not exist`);
  const listed = upstreamCrds(listFile);
  const problems: string[] = [];
  const contents = new Map<string, string>();
  for (const crd of listed) {
    const file = path.join(dir, crd.file);
    if (!existsSync(file)) {
      problems.push(`${crd.file} is missing`);
      continue;
    }
    const bytes = readFileSync(file);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== crd.sha256) problems.push(`${crd.file} has sha256 ${sha256}, pinned ${crd.sha256}`);
    else contents.set(crd.file, bytes.toString('utf8'));
  }
  const sourcesFile = path.join(dir, 'SOURCES.md');
  if (existsSync(sourcesFile)) {
    const rows = parseSourcesTable(readFileSync(sourcesFile, 'utf8'));
    const byFile = new Map(listed.map((crd) => [crd.file, crd]));
    for (const row of rows) {
      const crd = byFile.get(row.file);
      if (crd === undefined) {
        problems.push(`SOURCES.md lists ${row.file}, which scripts/upstream-crds.txt does not pin`);
        continue;
      }
      byFile.delete(row.file);
      const actual = contents.get(row.file);
      if (
        crd.repository !== row.repository ||
        crd.commit !== row.commit ||
        crd.path !== row.path ||
        !crd.sha256.startsWith(row.sha256Prefix) ||
        (actual !== undefined && Buffer.byteLength(actual) !== row.bytes)
      )
        problems.push(`SOURCES.md and scripts/upstream-crds.txt disagree about ${row.file}`);
    }
    for (const file of byFile.keys())
      problems.push(`scripts/upstream-crds.txt pins ${file}, which SOURCES.md lacks`);
  }
  if (problems.length > 0)
    throw unavailable(dir, `the CRDs in ${dir} are not the pinned ones: ${problems.join('; ')}`);
  return contents;
}

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI v3 schema nodes as parsed from the CRD YAML.
export type JsonSchema = any;

export interface CrdVersion {
  /** The folder the CRD came from, e.g. `gateway-api-v1.2.1`: one installable set of CRDs. */
  bundle: string;
  group: string;
  kind: string;
  version: string;
  served: boolean;
  schema: JsonSchema;
}

/**
 * The documents of a CRD file. Flagger's crd.yaml continues single-quoted descriptions at the key's
 * indentation, which the YAML spec (and the `yaml` package) refuse but go-yaml — kubectl, the API
 * server's clients — accepts; such a file is read through `kubectl kustomize`, i.e. by go-yaml.
 */
function parseCrdFile(file: string, text: string): JsonSchema[] {
  let docs = parseAllDocuments(text);
  if (docs.some((doc) => doc.errors.length > 0)) {
    const scratch = mkdtempSync(path.join(tmpdir(), 'crd-'));
    try {
      writeFileSync(path.join(scratch, 'crd.yaml'), text);
      writeFileSync(path.join(scratch, 'kustomization.yaml'), 'resources:\n  - crd.yaml\n');
      const normalized = execFileSync('kubectl', ['kustomize', scratch], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      docs = parseAllDocuments(normalized);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    const bad = docs.find((doc) => doc.errors.length > 0);
    if (bad !== undefined) throw new Error(`${file}: ${bad.errors[0]?.message}`);
  }
  return docs.map((doc) => doc.toJS() as JsonSchema);
}

/**
 * Every version of every CRD in the folder, as plain data (serializable, so the test setup can
 * parse the 2 MB of YAML once per run and hand it to each test file).
 */
export function loadCrdVersions(dir = CRDS_DIR): CrdVersion[] {
  const versions: CrdVersion[] = [];
  for (const [file, text] of readVerifiedCrds(dir)) {
    const bundle = file.split('/')[0] as string;
    for (const crd of parseCrdFile(file, text)) {
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const v of crd.spec.versions)
        versions.push({
          bundle,
          group: crd.spec.group,
          kind: crd.spec.names.kind,
          version: v.name,
          served: v.served === true,
          schema: v.schema?.openAPIV3Schema,
        });
    }
  }
  return versions;
}
