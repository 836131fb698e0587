import { accessSync, constants, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SERVICES } from '../../../.github/scripts/services.mjs';
import { REPO_ROOT, readRepoFile, repoFileExists, repoPath } from '../src/repo';
import { externalTool, run } from '../src/tools';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: Step[];
  strategy?: { matrix?: Record<string, unknown> };
}
interface Workflow {
  on: unknown;
  permissions?: Record<string, string>;
  concurrency?: { group: string };
  jobs: Record<string, Job>;
}

const WORKFLOW_DIR = '.github/workflows';
const files = readdirSync(repoPath(WORKFLOW_DIR)).filter((file) => /\.ya?ml$/.test(file));
const workflows = files.map(
  (file) => [file, parseYaml(readRepoFile(`${WORKFLOW_DIR}/${file}`)) as Workflow] as const,
);
const actionValidator = repoPath('node_modules/.bin/action-validator');

const scratch = mkdtempSync(path.join(tmpdir(), 'ship-checks-workflows-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('workflow files', () => {
  it('include CI, PR canary, release and image cleanup', () => {
    expect(files.sort()).toEqual(['ci.yml', 'cleanup-pr-images.yml', 'pr-canary.yml', 'release.yml']);
  });

  it.each(files)('%s validates against the GitHub Actions schema (action-validator)', (file) => {
    const result = run(actionValidator, [repoPath(WORKFLOW_DIR, file)], { cwd: REPO_ROOT });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('action-validator rejects a workflow with a misspelt key (the check above can fail)', () => {
    const broken = path.join(scratch, 'broken.yml');
    writeFileSync(
      broken,
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    stepz:\n      - run: true\n',
    );
    expect(run(actionValidator, [broken]).status).not.toBe(0);
  });

  const yamllint = externalTool('yamllint');
  it.skipIf(!yamllint)('pass yamllint with the repository settings', () => {
    const result = run('yamllint', [
      '-c',
      repoPath('.github/yamllint.yml'),
      '--strict',
      repoPath(WORKFLOW_DIR),
    ]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe.each(workflows)('%s', (file, workflow) => {
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);

  it('pins every action to a full commit SHA, with the version in a comment', () => {
    const uses = steps.flatMap((step) => (step.uses ? [step.uses] : []));
    expect(uses.length).toBeGreaterThan(0);
    for (const action of uses) expect(action).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    const lines = readRepoFile(`${WORKFLOW_DIR}/${file}`)
      .split('\n')
      .filter((line) => /\suses:\s/.test(line));
    for (const line of lines) expect(line).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('grants only read access by default; jobs that write say so', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('has a concurrency group', () => {
    expect(workflow.concurrency?.group).toMatch(/\$\{\{/);
  });

  it('calls only scripts that exist and are executable', () => {
    const scripts = steps.flatMap((step) => [...(step.run ?? '').matchAll(/\.github\/scripts\/([\w.-]+)/g)]);
    for (const [script] of scripts) {
      expect(repoFileExists(script), script).toBe(true);
      if (script.endsWith('.sh')) accessSync(repoPath(script), constants.X_OK);
    }
  });

  it('builds images only from Dockerfiles that exist, for services the scripts know', () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const build = job.steps.find((step) => step.uses?.startsWith('docker/build-push-action@'));
      if (!build) continue;
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
      expect(build.with?.file, name).toBe('apps/${{ matrix.service }}/Dockerfile');
      expect(build.with?.context).toBe('.');
      const matrix = job.strategy?.matrix?.service;
      const services = Array.isArray(matrix) ? (matrix as string[]) : SERVICES.map((service) => service.name);
      for (const service of services)
        expect(repoFileExists(`apps/${service}/Dockerfile`), service).toBe(true);
    }
  });
});

describe('PR canary workflow order', () => {
  const workflow = parseYaml(readRepoFile(`${WORKFLOW_DIR}/pr-canary.yml`)) as Workflow;
  const needs = (job: string) => [workflow.jobs[job]?.needs ?? []].flat();

  it('labels the PR only after its images are pushed, and probes after labelling', () => {
    expect(needs('label')).toContain('images');
    expect(needs('probe')).toEqual(expect.arrayContaining(['images', 'label']));
  });

  it('never runs for pull requests from forks (no write token there)', () => {
    const plan = readRepoFile(`${WORKFLOW_DIR}/pr-canary.yml`);
    expect(plan).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(plan).not.toContain('pull_request_target');
  });

  it('builds the PR images with the release workflow’s services and the full release list', () => {
    const release = parseYaml(readRepoFile(`${WORKFLOW_DIR}/release.yml`)) as Workflow;
    expect(release.jobs.images?.strategy?.matrix?.service).toEqual(SERVICES.map((service) => service.name));
  });
});
