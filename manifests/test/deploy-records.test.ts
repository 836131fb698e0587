/**
 * The deployable-revision sequence, with the workflow's own script against a real git remote, and
 * the Applications Argo CD would render from what it recorded (the PR ApplicationSets' template
 * rendered with the pull request generator's and the git files generator's parameters).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  });
});
