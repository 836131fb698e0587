import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  canaryPlan,
  changedServices,
  readWorkspaces,
  toStepOutputs,
} from '../../../.github/scripts/changed-services.mjs';
import { CANARY_SERVICES, canaryLabel } from '../../../.github/scripts/services.mjs';
import { REPO_ROOT, readRepoFile, repoPath } from '../src/repo';
import { run } from '../src/tools';

const workspaces = readWorkspaces(REPO_ROOT);
const changed = (...files: string[]) => changedServices({ files, workspaces });
/**
 * The expectations follow the registry where a rule decides (every Node service, whatever depends on a
 * package): a service `npm run new-service` adds must keep this file green.
 */
const NODE_CANARIES = CANARY_SERVICES.filter((service) => service.runtime === 'node').map((s) => s.name);
/** Canary services whose own package.json lists `pkg` as a runtime dependency. */
const dependentsOf = (pkg: string) =>
  CANARY_SERVICES.filter(
    (service) => JSON.parse(readRepoFile(`${service.workspace}/package.json`)).dependencies?.[pkg],
  ).map((service) => service.name);

/** A plan's `expect` (`api=pr-7,store=stable`) as short name → track. */
const tracks = (expectText: string) =>
  Object.fromEntries(expectText.split(',').map((pair) => pair.split('=') as [string, string]));

/**
 * `expect` says `given` for the services a test is about; every other service it lists (one added
 * since) is neither changed nor labelled there, so it is expected on stable.
 */
function expectTracks(expectText: string, given: Record<string, string>): void {
  const listed = tracks(expectText);
  expect(listed).toMatchObject(given);
  for (const [short, track] of Object.entries(listed))
    if (!(short in given)) expect(track, short).toBe('stable');
}

describe('which canary services a diff changes', () => {
  it('counts a file of the service’s own workspace for that service only', () => {
    expect(changed('apps/api-service/src/app.ts')).toEqual(['api-service']);
    expect(changed('apps/store-service/src/handlers.ts')).toEqual(['store-service']);
  });

  it('counts a shared runtime dependency for every service that ships it', () => {
    // Every Node service ships contracts (service-kit, which each is built on, depends on it).
    expect(changed('packages/contracts/src/canary-key.ts')).toEqual(NODE_CANARIES);
    expect(dependentsOf('@pr-canary/proto')).toEqual(
      expect.arrayContaining(['api-service', 'store-service']),
    );
    expect(changed('proto/store/v1/store.proto')).toEqual(dependentsOf('@pr-canary/proto'));
  });

  it('counts the lockfile and the compiler settings for every service', () => {
    expect(NODE_CANARIES).toEqual(expect.arrayContaining(['api-service', 'store-service']));
    expect(changed('package-lock.json')).toEqual(NODE_CANARIES);
    expect(changed('tsconfig.base.json')).toEqual(NODE_CANARIES);
    expect(changed('tsconfig.build.base.json')).toEqual(NODE_CANARIES);
  });

  it('counts the root Dockerfile, the Node services’ one recipe, for every Node service', () => {
    expect(changed('Dockerfile')).toEqual(NODE_CANARIES);
    expect(changed('apps/web/Dockerfile')).toEqual([]);
  });

  it('ignores tests, benchmarks and docs, which never reach an image', () => {
    expect(
      changed(
        'apps/api-service/test/app.test.ts',
        'packages/canary-context/bench/key.bench.ts',
        'apps/store-service/README.md',
        'apps/api-service/vitest.config.mts',
      ),
    ).toEqual([]);
  });

  it('ignores a test-only dependency: api-service’s devDependency on store-service', () => {
    expect(changed('apps/store-service/src/items-repository.ts')).not.toContain('api-service');
  });

  it('ignores the web UI, the extension and the workflows (no canary of their own)', () => {
    expect(
      changed('apps/web/src/main.ts', 'extension-canary/src/popup.ts', '.github/workflows/ci.yml'),
    ).toEqual([]);
  });

  it('counts a change to a service’s base manifests for that service', () => {
    expect(changed('manifests/base/store-service/deployment.yaml')).toEqual(['store-service']);
  });
});

describe('the canary plan for a PR', () => {
  it('builds and labels what changed and expects the rest on stable', () => {
    const plan = canaryPlan({ pr: '42', changed: ['store-service'], labels: [] });
    expect(plan).toEqual({
      changed: ['store-service'],
      build: ['store-service'],
      add_labels: ['canary/store-service'],
      expect: expect.stringMatching(/^api=stable,store=pr-42(,|$)/),
    });
    expectTracks(plan.expect, { api: 'stable', store: 'pr-42' });
  });

  it('keeps building an already labelled service that a later push no longer touches', () => {
    const plan = canaryPlan({ pr: '7', changed: ['api-service'], labels: ['canary/store-service', 'bug'] });
    expect(plan.build).toEqual(['api-service', 'store-service']);
    expect(plan.add_labels).toEqual(['canary/api-service']);
    expectTracks(plan.expect, { api: 'pr-7', store: 'pr-7' });
  });

  it('plans nothing for a PR that changes no service', () => {
    expect(canaryPlan({ pr: '3', changed: [], labels: [] })).toMatchObject({ build: [], add_labels: [] });
  });

  it('refuses a PR number that is not a canary key', () => {
    for (const pr of ['0', '042', '1e3', '42 ', '1234567890']) {
      expect(() => canaryPlan({ pr, changed: [], labels: [] })).toThrow(/PR number/);
    }
  });

  it('writes GitHub step outputs as one line each, arrays as JSON', () => {
    const plan = canaryPlan({ pr: '5', changed: ['api-service'], labels: [] });
    const outputs = toStepOutputs(plan);
    expect(outputs.split('\n')).toEqual([
      'changed=["api-service"]',
      'build=["api-service"]',
      'add_labels=["canary/api-service"]',
      `expect=${plan.expect}`,
      '',
    ]);
    expectTracks(plan.expect, { api: 'pr-5', store: 'stable' });
  });
});

describe('changed-services.mjs as the workflow runs it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ship-checks-outputs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the diff on stdin and appends the plan to $GITHUB_OUTPUT', () => {
    const outputFile = path.join(dir, 'github-output');
    writeFileSync(outputFile, 'earlier=1\n');
    const result = run(
      'node',
      [
        repoPath('.github/scripts/changed-services.mjs'),
        '--pr',
        '12',
        '--labels',
        '["canary/api-service"]',
        '--github-output',
        outputFile,
      ],
      { cwd: REPO_ROOT, input: 'apps/store-service/src/handlers.ts\n' },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      build: ['api-service', 'store-service'],
      add_labels: ['canary/store-service'],
    });
    expect(readFileSync(outputFile, 'utf8')).toContain('earlier=1\nchanged=["store-service"]\n');
  });

  it('fails with a clear message on labels that are not a JSON array of strings', () => {
    const result = run(
      'node',
      [repoPath('.github/scripts/changed-services.mjs'), '--pr', '12', '--labels', '{}'],
      {
        cwd: REPO_ROOT,
        input: '',
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--labels must be a JSON array of strings');
  });

  it('follows the workspace graph of the repository it is given, not a fixed list', () => {
    const root = path.join(dir, 'repo');
    const write = (file: string, json: unknown) => {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), JSON.stringify(json));
    };
    write('package.json', { workspaces: ['apps/*', 'libs/*'] });
    write('apps/api-service/package.json', { name: 'api', dependencies: { util: '1' } });
    write('apps/store-service/package.json', { name: 'store' });
    write('libs/util/package.json', { name: 'util' });
    // Every other registered canary service gets a workspace too (the plan looks at each): none depends on util.
    for (const service of CANARY_SERVICES.filter((s) => !['api-service', 'store-service'].includes(s.name)))
      write(`${service.workspace}/package.json`, { name: service.package });
    const result = run(
      'node',
      [repoPath('.github/scripts/changed-services.mjs'), '--pr', '1', '--root', root],
      {
        input: 'libs/util/index.js\n',
      },
    );
    expect(JSON.parse(result.stdout)).toMatchObject({ changed: ['api-service'] });
  });
});

describe('canary labels agree with the ApplicationSets', () => {
  it.each(CANARY_SERVICES.map((service) => [service.name, canaryLabel(service)]))(
    'the %s ApplicationSet selects PRs by %s',
    (name, label) => {
      interface Generator {
        pullRequest?: { github?: { labels?: string[] } };
        matrix?: { generators: Generator[] };
      }
      const appSet = parseYaml(readRepoFile(`manifests/argocd/applicationsets/pr-${name}.yaml`)) as {
        spec: { generators: Generator[] };
      };
      const labelsOf = (generators: Generator[]): string[] =>
        generators.flatMap((g) => [
          ...(g.pullRequest?.github?.labels ?? []),
          ...labelsOf(g.matrix?.generators ?? []),
        ]);
      const labels = labelsOf(appSet.spec.generators);
      expect(labels).toEqual([label]);
    },
  );
});
