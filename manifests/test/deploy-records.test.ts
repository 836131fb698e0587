/**
 * The deployable-revision sequence, with the workflow's own script against a real git remote, and
 * the Applications Argo CD would render from what it recorded (the PR ApplicationSets' template
 * rendered with the pull request generator's and the git files generator's parameters).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '@pr-canary/ship-checks/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { pullRequestParams, renderApplication } from '../src/argocd';
import { REPO_ROOT } from '../src/layout';

const repoPath = (relative: string) => path.join(REPO_ROOT, relative);
const readRepoFile = (relative: string) => readFileSync(repoPath(relative), 'utf8');

const SCRIPT = repoPath('.github/scripts/record-deployable.sh');
const FIRST = 'aaaaaaaa11111111111111111111111111111111';
const SECOND = 'bbbbbbbb22222222222222222222222222222222';

let work: string;
let remote: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'deploy-records-'));
  remote = path.join(work, 'origin.git');
  expect(run('git', ['init', '--quiet', '--bare', remote]).status).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = () => ({
  ...process.env,
  REMOTE: remote,
  GIT_AUTHOR_NAME: 'ci',
  GIT_AUTHOR_EMAIL: 'ci@example.com',
});
const record = (...args: string[]) => run('bash', [SCRIPT, ...args], { env: env() });

/** What the git files generator reads: deploy/pr-<N>/<service>.json on canary-deploy, or nothing. */
function readRecord(pr: number, service: string): Record<string, unknown> | undefined {
  const shown = run('git', ['--git-dir', remote, 'show', `canary-deploy:deploy/pr-${pr}/${service}.json`]);
  return shown.status === 0 ? JSON.parse(shown.stdout) : undefined;
}

/** The Application Argo CD renders for an open, labelled PR — none without CI's record. */
function renderedImage(pr: number, headSha: string, service: string): string | undefined {
  const file = readRecord(pr, service);
  if (file === undefined) return undefined;
  const appSet = parseYaml(readRepoFile(`manifests/argocd/applicationsets/pr-${service}.yaml`));
  const app = renderApplication(appSet, {
    ...pullRequestParams({ number: pr, headSha, branch: 'feature' }),
    ...(file as Record<string, never>),
  });
  return app.spec.source.kustomize?.images?.[0];
}

describe('record-deployable.sh: CI says when a revision is deployable', () => {
  it('no record before the first images are pushed: Argo CD renders no canary yet', () => {
    expect(renderedImage(7, FIRST, 'api-service')).toBeUndefined();
  });

  it('after the images are pushed, the record names their tag and Argo CD renders it', () => {
    const result = record('write', '7', FIRST, '["api-service","store-service","web"]');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readRecord(7, 'api-service')).toEqual({
      deployable: { pr: '7', service: 'api-service', sha: FIRST, tag: 'pr-7-aaaaaaaa' },
    });
    expect(renderedImage(7, FIRST, 'store-service')).toBe('ghcr.io/pr-canary/store-service:pr-7-aaaaaaaa');
    // web has no PR canaries: nothing recorded for it.
    expect(readRecord(7, 'web')).toBeUndefined();
  });

  it('a new push whose images are still building keeps the canary on the last image that exists', () => {
    expect(renderedImage(7, SECOND, 'api-service')).toBe('ghcr.io/pr-canary/api-service:pr-7-aaaaaaaa');
  });

  it('once the new images are pushed, the canary moves to them', () => {
    expect(record('write', '7', SECOND, '["api-service"]').status).toBe(0);
    expect(renderedImage(7, SECOND, 'api-service')).toBe('ghcr.io/pr-canary/api-service:pr-7-bbbbbbbb');
    // The store was not rebuilt by that push: it stays on its recorded image.
    expect(renderedImage(7, SECOND, 'store-service')).toBe('ghcr.io/pr-canary/store-service:pr-7-aaaaaaaa');
  });

  it('runs of several PRs at once all land (each rebases on the others)', async () => {
    const { spawn } = await import('node:child_process');
    const runs = [11, 12, 13].map(
      (pr) =>
        new Promise<number | null>((resolve) => {
          const child = spawn('bash', [SCRIPT, 'write', String(pr), FIRST, '["store-service"]'], {
            env: env(),
            stdio: 'ignore',
          });
          child.on('exit', resolve);
        }),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0]);
    for (const pr of [7, 11, 12, 13]) expect(readRecord(pr, 'store-service'), `PR ${pr}`).toBeDefined();
  });

  it('closing the PR removes its records (and only its own)', () => {
    expect(record('remove', '7').status).toBe(0);
    expect(renderedImage(7, SECOND, 'api-service')).toBeUndefined();
    expect(readRecord(11, 'store-service')).toBeDefined();
  });

  it('refuses what is not a PR number, a full SHA or a known service', () => {
    expect(record('write', '07', FIRST, '["api-service"]').status).toBe(2);
    const badSha = record('write', '7', 'abc', '["api-service"]');
    expect(badSha.status).toBe(2);
    expect(badSha.stderr).toBe('deploy-record: sha must be a full 40-hex commit SHA\n');
    expect(record('write', '7', FIRST, '["api-service:latest"]').stderr).toContain('unknown service');
  });

  it('is written by the PR workflow only after the images, only for same-repository PRs, and removed on close', () => {
    const jobs = parseYaml(readRepoFile('.github/workflows/pr-canary.yml')).jobs;
    expect(jobs.deployable.needs).toEqual(['plan', 'images']);
    expect(jobs.deployable.steps.at(-1).run).toContain('record-deployable.sh write');
    // plan (and so everything after it) is skipped for fork PRs: no record, no canary.
    expect(jobs.plan.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(jobs.label.needs).toContain('deployable');
    const cleanup = parseYaml(readRepoFile('.github/workflows/cleanup-pr-images.yml')).jobs;
    expect(cleanup['drop-deploy-records'].steps.at(-1).run).toContain('record-deployable.sh remove');
    // Both push with the job's token (its `contents: write`), which the script's own clone needs.
    for (const job of [jobs.deployable, cleanup['drop-deploy-records']]) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
      expect(job.steps.at(-1).env.GITHUB_TOKEN).toBe('${{ github.token }}');
      expect(job.permissions.contents).toBe('write');
    }
  });
});

/**
 * A remote as a forge serves one: git's smart HTTP (`git http-backend`, the CGI git ships) behind
 * Basic authentication that lets in only `x-access-token:<token>`, GitHub's form for a job's token.
 */
async function remoteNeedingToken(
  root: string,
  tokens: { write: string; readOnly: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const basic = (token: string) => `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const server = http.createServer((request, response) => {
    const access =
      request.headers.authorization === basic(tokens.write)
        ? 'write'
        : request.headers.authorization === basic(tokens.readOnly)
          ? 'read'
          : undefined;
    if (access === undefined) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://remote');
    // A token that may read but not write (a job with `contents: read`): pushing is forbidden.
    if (access === 'read' && `${url.pathname}${url.search}`.includes('git-receive-pack')) {
      response.writeHead(403).end();
      return;
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: request.method,
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: request.headers['content-encoding'] ?? '',
        REMOTE_USER: 'x-access-token', // authenticated: http-backend then accepts pushes
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    request.pipe(cgi.stdin);
    // CGI: header lines (a `Status:` among them), a blank line, then the body.
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      cgi.stdout.off('data', onData);
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      response.writeHead(status, headers);
      response.write(head.subarray(end + 4));
      cgi.stdout.pipe(response);
    };
    cgi.stdout.on('data', onData);
    cgi.on('error', () => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/origin.git`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("record-deployable.sh pushes with the job's token: its clone has none of checkout's credentials", () => {
  const TOKEN = 'ghs_jobToken0123456789';
  const READ_ONLY_TOKEN = 'ghs_readOnly0123456789';
  let root: string;
  let forge: Awaited<ReturnType<typeof remoteNeedingToken>>;
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'deploy-records-forge-'));
    expect(run('git', ['init', '--quiet', '--bare', path.join(root, 'origin.git')]).status).toBe(0);
    forge = await remoteNeedingToken(root, { write: TOKEN, readOnly: READ_ONLY_TOKEN });
  });
  afterAll(async () => {
    await forge?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** The script as the workflow step runs it (asynchronously: the remote answers from this process). */
  function recordOnForge(token: string | undefined, ...args: string[]) {
    const { GITHUB_TOKEN: _inherited, ...inherited } = process.env;
    return new Promise<{ code: number | null; output: string; stderr: string }>((resolve) => {
      execFile(
        'bash',
        [SCRIPT, ...args],
        {
          env: {
            ...inherited,
            REMOTE: forge.url,
            GIT_AUTHOR_NAME: 'ci',
            GIT_AUTHOR_EMAIL: 'ci@example.com',
            // No credential of this machine's git config may stand in for the token, and no askpass
            // program a desktop shell set may ask for one.
            GIT_CONFIG_GLOBAL: '/dev/null',
            GIT_CONFIG_NOSYSTEM: '1',
            GIT_ASKPASS: '',
            SSH_ASKPASS: '',
            ...(token === undefined ? {} : { GITHUB_TOKEN: token }),
          },
          // A guard against a hang only, within the test's 20 s: what is asserted is the output.
          timeout: 15_000,
        },
        (error, stdout, stderr) =>
          resolve({
            code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
            output: stdout + stderr,
            stderr,
          }),
      );
    });
  }

  it('with GITHUB_TOKEN it creates the branch and records, the token in no output', async () => {
    const recorded = await recordOnForge(TOKEN, 'write', '21', FIRST, '["api-service"]');
    expect(recorded.stderr).toBe('');
    expect(recorded.code).toBe(0);
    const shown = run('git', [
      '--git-dir',
      path.join(root, 'origin.git'),
      'show',
      'canary-deploy:deploy/pr-21/api-service.json',
    ]);
    expect(JSON.parse(shown.stdout).deployable.tag).toBe('pr-21-aaaaaaaa');
    // And again on the branch that now exists (clone, commit, push), then the PR's close.
    expect((await recordOnForge(TOKEN, 'write', '21', SECOND, '["api-service"]')).code).toBe(0);
    const removed = await recordOnForge(TOKEN, 'remove', '21');
    expect(removed.code).toBe(0);
    expect(removed.output).not.toContain(TOKEN);
  });

  it('tries a remote that does not answer five times, then says so', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    // (No remote in this process: the script can run synchronously.)
    const result = run('bash', [SCRIPT, 'write', '23', FIRST, '["api-service"]'], {
      env: { ...env(), REMOTE: `http://127.0.0.1:${port}/origin.git` },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('attempt 5 failed');
    expect(result.stderr).toContain(
      'record-deployable: could not record PR 23 on canary-deploy in 5 attempts',
    );
  });

  // One test per token: each gets the whole test timeout (three in one ran over the script's own
  // limit on a loaded 2-core machine). "At once" is read from the output — no attempt was retried.
  it.each([
    ['without it', undefined],
    ['with a wrong one', 'ghs_wrong'],
    ['with one that may only read', READ_ONLY_TOKEN],
  ])('%s, it stops at once with what the remote said, not after five attempts', async (_case, token) => {
    const refused = await recordOnForge(token, 'write', '22', FIRST, '["api-service"]');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/could not read Username|Authentication failed|error: 403/);
    expect(refused.stderr).toContain("record-deployable: the remote refused PR 22's record on canary-deploy");
    expect(refused.output).not.toMatch(/attempt \d failed/);
    if (token) expect(refused.output).not.toContain(token);
  });
});
