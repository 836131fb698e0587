import { accessSync, constants, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { dockerfileOf, SERVICES } from '../../../.github/scripts/services.mjs';
import { parseDockerfile } from '../src/dockerfile';
import { REPO_ROOT, readRepoFile, readRepoJson, repoFileExists, repoPath } from '../src/repo';
import { externalTool, run } from '../src/tools';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  container?: string;
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
  it.skipIf(!yamllint)('pass yamllint with the repository settings (and so does dependabot.yml)', () => {
    const result = run('yamllint', [
      '-c',
      repoPath('.github/yamllint.yml'),
      '--strict',
      repoPath(WORKFLOW_DIR),
      repoPath('.github/dependabot.yml'),
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

  it('builds images from the Dockerfile the service registry names (services.mjs dockerfile)', () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const build = job.steps.find((step) => step.uses?.startsWith('docker/build-push-action@'));
      if (!build) continue;
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
      expect(build.with?.file, name).toBe('${{ steps.image.outputs.dockerfile }}');
      expect(build.with?.context).toBe('.');
      const image = job.steps.find((step) => (step as { id?: string }).id === 'image');
      expect(image?.run, name).toContain(
        'echo "dockerfile=$(node .github/scripts/services.mjs dockerfile "$SERVICE")"',
      );
      // The root Dockerfile's one Node recipe picks the service by its build argument SERVICE.
      expect(String(build.with?.['build-args']).split('\n'), name).toContain(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
        'SERVICE=${{ matrix.service }}',
      );
      for (const service of SERVICES) {
        const dockerfile = run('node', [
          repoPath('.github/scripts/services.mjs'),
          'dockerfile',
          service.name,
        ]);
        expect(dockerfile.status, service.name).toBe(0);
        expect(dockerfile.stdout.trim(), service.name).toBe(
          service.runtime === 'node' ? 'Dockerfile' : `${service.workspace}/Dockerfile`,
        );
        expect(repoFileExists(dockerfile.stdout.trim()), service.name).toBe(true);
      }
    }
  });
});

describe('CI workflow', () => {
  const ci = workflows.find(([file]) => file === 'ci.yml')?.[1];
  const runs = Object.values(ci?.jobs ?? {})
    .flatMap((job) => job.steps)
    .map((step) => step.run ?? '');

  it('runs every check .ci/run runs (npm test, the manifest verification as a step of its own)', () => {
    const ciRun = readRepoFile('.ci/run')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^(node|npm) /.test(line))
      // `.ci/run` tees test output into its closing count; the command is what precedes the redirect.
      .map((line) => line.replace(/\s+2>&1\s*\|.*$/, ''));
    expect(ciRun).toContain('npm test');
    for (const command of ciRun.filter((line) => line !== 'npm test'))
      expect(runs, command).toContain(command);
    // The README's command itself (its process group, compile cache and concurrency), not turbo alone.
    expect(runs).toContain("npm test -- --filter='!@pr-canary/manifests'");
    expect(runs).toContain('npm test -w @pr-canary/manifests');
  });

  it('fetches the upstream CRDs the manifests checks read (../shared/crds is not in a checkout) before any tests', () => {
    const test = ci?.jobs.test?.steps.map((step) => step.run ?? '') ?? [];
    const fetched = test.indexOf('manifests/scripts/fetch-crds.sh');
    expect(fetched, 'a step runs manifests/scripts/fetch-crds.sh').toBeGreaterThanOrEqual(0);
    const firstTests = test.findIndex((run) => /\b(turbo run test|npm test)\b/.test(run));
    expect(fetched).toBeLessThan(firstTests);
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

  it('probes with flags the `pr-canary probe` CLI (localdev) accepts', () => {
    const probeStep = Object.values(workflow.jobs)
      .flatMap((job) => job.steps)
      .find((step) => step.run?.includes('pr-canary probe'));
    // Each probe command of the step (the gate, then the same run as JSON for the comment).
    const commands = (probeStep?.run ?? '').replaceAll('\\\n', ' ').split('pr-canary probe').slice(1);
    expect(commands.length).toBeGreaterThan(0);
    const flagsOf = (command: string) =>
      [...(command.split('\n')[0] ?? '').matchAll(/\s(--?[a-z][a-z-]*)/g)].map((match) => match[1]);
    const probeFlags = flagsOf(commands[0] ?? '');
    // The plan expects every canary service of the registry; GET /api/route reaches the edge service and
    // what it calls, so an expectation for a service off that path is skipped, not failed.
    expect(probeFlags).toEqual(['--url', '--pr', '-n', '--expect', '--skip-unreached']);
    const help = run('node', [repoPath('localdev/bin/pr-canary.mjs'), 'probe', '--help']);
    expect(help.status).toBe(0);
    // The JSON run is the gate's command again, only printed as JSON: the two cannot drift apart.
    for (const command of commands.slice(1)) expect(flagsOf(command)).toEqual([...probeFlags, '--json']);
    for (const flag of commands.flatMap(flagsOf))
      expect(help.stdout, flag).toMatch(new RegExp(`(^|[\\s,])${flag}[\\s,]`, 'm'));
  });

  it('keeps runs for unrelated labels out of the canary run’s concurrency group (they would cancel it)', () => {
    const group = workflow.concurrency?.group ?? '';
    expect(group).toContain("!startsWith(github.event.label.name, 'canary/')");
    expect(group).toContain('github.run_id');
    expect(group).toContain('github.event.pull_request.number');
  });

  it('releases every registered service: the release matrix is the registry’s (services.mjs matrix)', () => {
    const release = parseYaml(readRepoFile(`${WORKFLOW_DIR}/release.yml`)) as Workflow;
    expect(release.jobs.images?.strategy?.matrix?.service).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
      '${{ fromJSON(needs.services.outputs.names) }}',
    );
    expect(release.jobs.images?.needs).toBe('services');
    const registry = release.jobs.services?.steps.find((step) => step.run?.includes('services.mjs'));
    expect(registry?.run).toBe(
      'echo "names=$(node .github/scripts/services.mjs matrix)" >> "$GITHUB_OUTPUT"',
    );
    const matrix = run('node', [repoPath('.github/scripts/services.mjs'), 'matrix']);
    expect(JSON.parse(matrix.stdout)).toEqual(SERVICES.map((service) => service.name));
  });

  it('bumps every overlay that pins stable images (integration-001 follows releases too)', () => {
    const release = parseYaml(readRepoFile(`${WORKFLOW_DIR}/release.yml`)) as Workflow;
    const overlays = readdirSync(repoPath('manifests/overlays')).filter((overlay) => {
      const kustomization = parseYaml(readRepoFile(`manifests/overlays/${overlay}/kustomization.yaml`)) as {
        images?: { newTag?: string }[];
      };
      return (kustomization.images ?? []).some((image) => image.newTag !== undefined);
    });
    expect(overlays.length).toBeGreaterThan(0);
    const bumped = release.jobs['bump-overlays']?.strategy?.matrix?.environment as string[];
    expect([...bumped].sort()).toEqual(overlays.sort());
  });
});

describe('workflows on closed pull requests', () => {
  // Checkout's default ref on a pull_request event is refs/pull/N/merge: gone after close
  // (actions/checkout#1982) and never there for a conflicted PR.
  const onClosed = workflows.filter(([, workflow]) =>
    JSON.stringify(
      (workflow.on as { pull_request?: { types?: string[] } }).pull_request?.types ?? [],
    ).includes('closed'),
  );

  it('exist (the check below can fail)', () => {
    expect(onClosed.map(([file]) => file)).toContain('cleanup-pr-images.yml');
  });

  it.each(onClosed)('%s checks out the default branch in every job', (_file, workflow) => {
    const checkouts = Object.values(workflow.jobs).flatMap((job) =>
      job.steps.filter((step) => step.uses?.startsWith('actions/checkout@')),
    );
    expect(checkouts.length).toBeGreaterThan(0);
    for (const step of checkouts) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
      expect(step.with?.ref).toBe('${{ github.event.repository.default_branch }}');
    }
  });
});

describe('Node versions tell one story: the images’ release everywhere', () => {
  const root = readRepoJson<{ engines: { node: string }; devDependencies: Record<string, string> }>(
    'package.json',
  );
  const imageNodes = SERVICES.map((service) => {
    const image = parseDockerfile(readRepoFile(dockerfileOf(service))).globalArgs.get('NODE_IMAGE');
    return /^node:(\d+\.\d+\.\d+)-/.exec(image ?? '')?.[1];
  });
  const imageNode = imageNodes[0];
  const setupNodeVersions = workflows.flatMap(([, workflow]) =>
    Object.values(workflow.jobs).flatMap((job) =>
      job.steps
        .filter((step) => step.uses?.startsWith('actions/setup-node@'))
        .map((step) => String(step.with?.['node-version'])),
    ),
  );

  it('every image runs the same exact Node release', () => {
    expect(imageNode).toMatch(/^\d+\.\d+\.\d+$/);
    expect(new Set(imageNodes)).toEqual(new Set([imageNode]));
  });

  it('npm ci brings that release (root devDependency `node`) and engines starts at it', () => {
    expect(root.devDependencies.node).toBe(imageNode);
    expect(root.engines.node).toBe(`>=${imageNode}`);
  });

  it('these tests run on it: every npm script finds node_modules/.bin/node first on PATH', () => {
    expect(process.version).toBe(`v${imageNode}`);
  });

  it('every workflow job and job container runs it, never a floating version', () => {
    expect(setupNodeVersions.length).toBeGreaterThan(5);
    for (const version of setupNodeVersions) expect(version).toBe(imageNode);
    for (const [file, workflow] of workflows) {
      for (const job of Object.values(workflow.jobs)) {
        if (job.container === undefined) continue;
        expect(/^node:(\d+\.\d+\.\d+)-/.exec(job.container)?.[1], `${file}: ${job.container}`).toBe(
          imageNode,
        );
      }
    }
  });
});
