/**
 * `npm run new-service` end to end, in a throwaway copy of this repository (throwaway-repo.ts): an
 * http and a grpc service are scaffolded with one command each and, with no other edit, pass their own
 * tests, the proto checks and the manifests checks, build, and run in the stack `npm start` runs, with a PR canary each that the dev
 * router reaches at their hop — the edge by `X-Canary` for http, the mesh by `x-canary` for grpc. The
 * files the scaffold wrote are compared with the list in the root README's "Add your service".
 *
 * The steps share one copy and run in order, each a test of its own within the shared 20 s timeout
 * (none took more than about 10 s on a 2-core machine at load 10-13).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { everyPortOption } from '@pr-canary/localdev/port-options';
import { loadProto } from '@pr-canary/proto';
import { freePorts } from '@pr-canary/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pathPattern, pathsEditedByHand, pathsTheScaffoldWrites } from './readme-list';
import { createThrowawayRepo, SOURCE_ROOT, type ThrowawayRepo } from './throwaway-repo';

// A digit, and a name that sorts before every registered one: the checks that list services must take both.
const HTTP_SERVICE = { name: 'a1-http-service', short: 'a1-http', protocol: 'http' } as const;
const GRPC_SERVICE = { name: 'scaffold-grpc-service', short: 'scaffold-grpc', protocol: 'grpc' } as const;
const PR = '42';
/** What the stack build changes in the copy: the registry and the new services (see "builds …"). */
const BUILT = ['packages/contracts', `apps/${HTTP_SERVICE.name}`, `apps/${GRPC_SERVICE.name}`];
/**
 * Test files elsewhere in the repository that a new service reaches (workspace, vitest arguments): their
 * expectations follow the registry, and the repeated-code check holds two services from one template.
 */
const REGISTRY_DEPENDENT_TESTS = [
  ['packages/contracts', 'test/services.test.ts'],
  // package-graph: each new service's image gets every package its code loads (a production dependency).
  [
    'tools/ship-checks',
    'test/changed-services.test.ts',
    'test/duplicates.test.ts',
    'test/package-graph.test.ts',
  ],
  // The image checks that name every Node service (each new service's Dockerfile and overlay tag).
  [
    'tools/ship-checks',
    'test/dockerfiles.test.ts',
    'test/release-scripts.test.ts',
    '-t',
    'installs production dependencies only|moves every Deployment',
  ],
  // analyze-cli: only its verdict from Prometheus (the rest spawns the CLI to check arguments, ~5 s).
  [
    'localdev',
    'test/stack/canary-config.test.ts',
    'test/cli/analyze-cli.test.ts',
    '-t',
    '^canary config|from Prometheus, leaves out a service',
  ],
  ['manifests', 'test/kustomize-builds.test.ts', '-t', 'patch-target check'],
];
const fromSource = createRequire(path.join(SOURCE_ROOT, 'package.json'));
/** vitest's command line (its package exports no bin path). */
const VITEST = path.join(path.dirname(fromSource.resolve('vitest/package.json')), 'vitest.mjs');
const TSC = fromSource.resolve('typescript/bin/tsc');
/**
 * The kustomizations (relative to manifests/) that read a file the scaffold writes or edits (see "the
 * manifests checks pass …"): every overlay and component scenario, the new services' PR sources, Argo CD.
 */
const CHANGED_KUSTOMIZATIONS = [
  ...['overlays', 'tests'].flatMap((folder) =>
    readdirSync(path.join(SOURCE_ROOT, 'manifests', folder), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${folder}/${entry.name}`),
  ),
  `pr-canary/${HTTP_SERVICE.short}`,
  `pr-canary/${GRPC_SERVICE.short}`,
  'argocd',
];
type ManifestsVerify = typeof import('@pr-canary/manifests/verify');
type Corpus = Awaited<ReturnType<ManifestsVerify['loadCorpus']>>;
type CrdIndex = ReturnType<ManifestsVerify['indexCrds']>;
type KubeObject = Awaited<ReturnType<ManifestsVerify['kustomizeBuild']>>[number];
type PrApp = Corpus['prApps'][number];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a plain shell: no npm_config_* and no turbo task hash (vitest may run under both). */
function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.toLowerCase().startsWith('npm_config_') && !name.startsWith('TURBO_')) env[name] = value;
  return { ...env, TURBO_TELEMETRY_DISABLED: '1', NO_COLOR: '1' };
}

/** Every command still running, so the end of the file stops what a failed step left running. */
const running = new Set<ChildProcess>();

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 18_000,
  input?: string,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { cwd, env: plainEnv(), timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        running.delete(child);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
    running.add(child);
    child.stdin?.end(input ?? '');
  });
}

function node(args: readonly string[], cwd: string, timeoutMs?: number, input?: string): Promise<Run> {
  return run(process.execPath, args, cwd, timeoutMs, input);
}

/** The root `new-service` script's node arguments (npm itself would add nothing but a second of start-up). */
function newServiceCommand(root: string): string[] {
  const script = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts[
    'new-service'
  ] as string;
  const [command, ...args] = script.split(' ');
  expect(command).toBe('node');
  return args;
}

function newService(root: string, args: readonly string[]): Promise<Run> {
  return node([...newServiceCommand(root), ...args], root);
}

function expectSuccess(result: Run, what: string): void {
  if (result.code !== 0)
    throw new Error(`${what} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
}

/** GET through the dev router's edge, to the service the Host names (as Traefik's Host() rule). */
function getThroughEdge(port: number, host: string, urlPath: string, canary?: string) {
  return new Promise<{ status: number; servedBy: string | undefined; body: unknown }>((resolve, reject) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        headers: { host, ...(canary ? { 'x-canary': canary } : {}) },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            servedBy: response.headers['x-served-by'] as string | undefined,
            body: body.startsWith('{') ? JSON.parse(body) : body,
          }),
        );
      },
    );
    request.on('error', reject);
  });
}

describe('npm run new-service, in a throwaway copy of the repository', () => {
  let repo: ThrowawayRepo;
  let stack: { child: ChildProcess; output: () => string; exited: Promise<number | null> } | undefined;
  let ports: { http: number; grpc: number };

  beforeAll(() => {
    repo = createThrowawayRepo();
  });

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
    if (stack && stack.child.exitCode === null && stack.child.signalCode === null) {
      stack.child.kill('SIGTERM');
      await stack.exited;
    }
    repo?.remove();
  });

  it('puts everything back when interrupted half-way (Ctrl-C while it generates the proto types)', async () => {
    // A stand-in for the proto generator that says it started and then waits to be interrupted. Should
    // this test's process die first (an aborted run), nothing would interrupt the scaffold waiting on it
    // in their own process group: the stand-in then ends that group itself.
    const generator = path.join(repo.root, 'proto/generate.mjs');
    const original = readFileSync(generator, 'utf8');
    const started = path.join(repo.root, '.git/generator-started');
    writeFileSync(
      generator,
      `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(started)}, '');
setInterval(() => {
  try {
    process.kill(${process.pid}, 0);
  } catch {
    process.kill(-process.ppid, 'SIGKILL');
  }
}, 200);
`,
    );
    const script = newServiceCommand(repo.root);
    // Its own process group, as a terminal's foreground job: Ctrl-C signals the whole group.
    const child = spawn(process.execPath, [...script, GRPC_SERVICE.name, '--protocol', 'grpc'], {
      cwd: repo.root,
      env: plainEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 130 : null))),
    );
    try {
      await expect
        .poll(() => (existsSync(started) ? 'started' : child.exitCode === null ? 'waiting' : stderr), {
          timeout: 15_000,
        })
        .toBe('started');
      expect(repo.changedFiles().length).toBeGreaterThan(5); // it had written the service by then
      process.kill(-(child.pid as number), 'SIGINT');
      expect(await exited).not.toBe(0);
    } finally {
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
      writeFileSync(generator, original);
      rmSync(started, { force: true });
    }
    expect(stderr).not.toContain('is ready');
    // Said as the interrupt it was, not as the step (which died of the same Ctrl-C) failing.
    expect(stderr).toBe('new-service: interrupted (SIGINT); nothing was changed\n');
    expect(repo.changedFiles()).toEqual([]);
    expect(existsSync(path.join(repo.root, 'node_modules/@pr-canary', GRPC_SERVICE.name))).toBe(false);
  });

  it('scaffolds an http service and a grpc service, one command each', async () => {
    for (const service of [HTTP_SERVICE, GRPC_SERVICE]) {
      const result = await newService(repo.root, [service.name, '--protocol', service.protocol]);
      expectSuccess(result, `new-service ${service.name}`);
      expect(result.stdout).toContain(`${service.name} (${service.protocol}) is ready`);
      // The generated types are git-ignored build output: one line, not every file the generator wrote.
      expect(result.stdout).not.toMatch(/proto\/src\/generated\/\S/);
      if (service.protocol === 'grpc')
        expect(result.stdout).toContain('  proto/src/generated/ (its generated types; git-ignored)\n');
    }
  });

  it('writes exactly what the README\'s "Add your service" lists, and nothing is left to edit by hand', () => {
    const readme = readFileSync(path.join(SOURCE_ROOT, 'README.md'), 'utf8');
    const listed = pathsTheScaffoldWrites(readme);
    const changed = repo.changedFiles();
    // A file the scaffold writes is not one a person edits by hand (the later steps prove that no
    // other file is needed: the service's tests, the manifests and CI checks and the stack pass).
    const byHandButWritten = pathsEditedByHand(readme).filter((row) =>
      [HTTP_SERVICE, GRPC_SERVICE].some(
        (service) =>
          row.protocols.includes(service.protocol) &&
          changed.some((file) => pathPattern(row, service).test(file)),
      ),
    );
    expect(
      byHandButWritten.map((row) => row.pattern),
      'listed as by hand, but the scaffold writes it',
    ).toEqual([]);
    const services = [HTTP_SERVICE, GRPC_SERVICE];
    const unlisted = changed.filter(
      (file) =>
        !services.some((service) =>
          listed.some(
            (row) => row.protocols.includes(service.protocol) && pathPattern(row, service).test(file),
          ),
        ),
    );
    expect(unlisted, 'written but not in the README').toEqual([]);
    for (const service of services) {
      const unwritten = listed
        .filter((row) => row.protocols.includes(service.protocol))
        .filter((row) => !changed.some((file) => pathPattern(row, service).test(file)))
        .map((row) => row.pattern);
      expect(unwritten, `in the README but not written for ${service.protocol}`).toEqual([]);
    }
  });

  it('refuses a name that exists or is invalid, saying why, and changes nothing', async () => {
    const before = repo.changedFiles();
    const again = await newService(repo.root, [HTTP_SERVICE.name, '--protocol', 'grpc']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`"${HTTP_SERVICE.name}" already exists`);
    const clash = await newService(repo.root, ['scaffold-grpc', '--protocol', 'http']);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('would clash with "scaffold-grpc-service"');
    // Names of another service's objects (its metrics Service), or of an Argo CD object already there.
    const derived = await newService(repo.root, ['store-service-metrics', '--protocol', 'grpc']);
    expect(derived.code).toBe(1);
    expect(derived.stderr).toContain("store-service-metrics is the name of store-service's metrics Service");
    const argo = await newService(repo.root, ['production', '--protocol', 'http']);
    expect(argo.code).toBe(1);
    expect(argo.stderr).toContain(
      'ApplicationSet pr-canary-production (namespace argocd) is in manifests/argocd/applicationsets/production.yaml',
    );
    const invalid = await newService(repo.root, ['Bad_Name', '--protocol', 'http']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('(try "bad-name")');
    // Node's own hint (put it after '--') is wrong under npm run, which takes the first '--' itself.
    const typo = await newService(repo.root, ['pay-service', '--protocl', 'http']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /^new-service: Unknown option '--protocl'; `npm run new-service -- --help` lists every option\n\nusage: /,
    );
    // Two protocols contradict each other: the last one does not silently win.
    const twice = await newService(repo.root, ['pay-service', '--protocol', 'http', '--protocol', 'grpc']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^new-service: --protocol is given more than once: give it once/);
    expect(repo.changedFiles()).toEqual(before);
  });

  it('the http service passes its own tests', async () => {
    expectSuccess(await node([VITEST, 'run'], path.join(repo.root, 'apps', HTTP_SERVICE.name)), 'its tests');
  });

  it('the grpc service passes its own tests', async () => {
    expectSuccess(await node([VITEST, 'run'], path.join(repo.root, 'apps', GRPC_SERVICE.name)), 'its tests');
  });

  it('the proto workspace passes buf lint and holds the types its contract generates', async () => {
    expectSuccess(
      await node([VITEST, 'run', 'test/contract.test.ts'], path.join(repo.root, 'proto')),
      'proto checks',
    );
  });

  it('everything it wrote passes the linter', async () => {
    const biome = fromSource.resolve('@biomejs/biome/bin/biome');
    const written = repo.changedFiles();
    expectSuccess(
      await node([biome, 'check', '--no-errors-on-unmatched', ...written], repo.root),
      'biome check',
    );
  });

  // The manifests checks, run in the copy with both services registered, on what the scaffold
  // changes there (manifests/src/verify.ts of the copy, so every path and the registry are the
  // copy's): every kustomization that reads a file it writes or edits — the overlays (the bases,
  // image tags, hosts), the component scenarios of tests/ (the components it edits), the new PR
  // sources and the Argo CD listing — built by the real `kubectl kustomize` with no template
  // leftover, every object valid against its schema (the upstream CRDs) and every patch landing;
  // the PR canaries Argo CD renders for them, valid and admitted by the platform's policies; every
  // policy check (incl. routing against the route table) over the whole corpus; yamllint. What the
  // scaffold leaves alone (platform/, the other services' PR sources and bases) and the checks' own
  // tests (broken copies) are the manifests workspace's tests. Each step is small: no step needs
  // more than the shared timeout on a loaded 2-core machine.
  describe('the manifests checks pass with both services included (their base, PR canaries and routes)', () => {
    let verify: ManifestsVerify;
    let crds: CrdIndex;
    let argo: KubeObject[];
    const overlays: Record<string, KubeObject[]> = {};
    const ours: PrApp[] = [];
    const others: PrApp[] = [];
    let corpus: Corpus;
    const isNew = (service: { name: string }) =>
      service.name === HTTP_SERVICE.name || service.name === GRPC_SERVICE.name;

    it("loads the copy's manifests checks and the upstream CRDs", async () => {
      verify = (await import(path.join(repo.root, 'manifests/src/verify.ts'))) as ManifestsVerify;
      expect(verify.MANIFESTS_DIR).toBe(path.join(repo.root, 'manifests'));
      crds = verify.indexCrds(verify.loadCrdVersions());
    });

    it.each(CHANGED_KUSTOMIZATIONS)(
      'manifests/%s builds: no leftover, valid objects, every patch lands',
      async (dir) => {
        const { objects, problems } = await verify.checkKustomization(dir, crds);
        expect(problems).toEqual([]);
        if (dir.startsWith('overlays/')) overlays[dir.slice('overlays/'.length)] = objects;
        // Argo CD's objects as the root Application applies them (the built listing, so an
        // ApplicationSet file the listing lacks renders no PR canary below).
        if (dir === 'argocd') argo = objects;
      },
    );

    it('Argo CD renders their PR canaries (two sample PRs each)', async () => {
      ours.push(...(await verify.renderPrApps(argo, verify.canaryServices().filter(isNew))));
      for (const service of [HTTP_SERVICE, GRPC_SERVICE])
        expect(ours.filter((p) => p.kind === service.name)).toHaveLength(verify.SAMPLE_PULL_REQUESTS.length);
    });

    it('… and those of the services already there', async () => {
      others.push(
        ...(await verify.renderPrApps(
          argo,
          verify.canaryServices().filter((s) => !isNew(s)),
        )),
      );
      expect(others.length).toBeGreaterThan(0);
    });

    it('… and the stable Applications, with both services', async () => {
      corpus = verify.corpusOf({
        overlays: overlays as Corpus['overlays'],
        argo,
        prApps: [...others, ...ours],
        stableApps: await verify.renderStableApps(argo),
      });
      expect(Object.keys(corpus.overlays).sort()).toEqual([...verify.ENVIRONMENTS].sort());
    });

    it('their PR canaries are valid, admitted by the platform, and every patch of their ApplicationSet lands', async () => {
      const platform = await verify.kustomizeBuild(path.join(verify.MANIFESTS_DIR, 'platform'));
      expect(verify.admissionProblems(platform, ours)).toEqual([]);
      for (const { app, objects } of ours) {
        expect(await verify.objectProblems([app as unknown as KubeObject, ...objects], crds)).toEqual([]);
        const { path: source, kustomize } = app.spec.source;
        expect(await verify.unmatchedPatches(source.replace(/^manifests\//, ''), kustomize)).toEqual([]);
      }
    });

    it("production rolls each out through its own Flagger Canary at its hop, valid against Flagger's CRD", async () => {
      const production = overlays.production ?? [];
      for (const [service, provider] of [
        [HTTP_SERVICE, 'traefik'],
        [GRPC_SERVICE, 'gatewayapi:v1'],
      ] as const) {
        const canaries = production.filter((o) => o.kind === 'Canary' && o.metadata.name === service.name);
        expect(canaries.map((c) => c.spec.provider)).toEqual([provider]);
        expect(await verify.objectProblems(canaries, crds)).toEqual([]);
        // Flagger writes the Service of its name; production ships none of its own.
        expect(production.filter((o) => o.kind === 'Service' && o.metadata.name === service.name)).toEqual(
          [],
        );
      }
      const route = production.find(
        (o) => o.kind === 'IngressRoute' && o.metadata.name === HTTP_SERVICE.name,
      );
      expect(route?.spec.routes[0].services).toEqual([{ kind: 'TraefikService', name: HTTP_SERVICE.name }]);
    });

    it('every policy and routing check passes on the whole corpus', async () => {
      const context = await verify.loadCheckContext(corpus);
      const violations = Object.entries(verify.CHECKS).flatMap(([name, check]) =>
        check(context).map((v) => `${name}: ${v.subject}: ${v.message}`),
      );
      expect(violations).toEqual([]);
    });

    it('yamllint passes on every YAML file it wrote or edited', async (test) => {
      if (!verify.lintToolInstalled('yamllint')) return test.skip();
      const yaml = repo
        .changedFiles()
        .filter((file) => file.startsWith('manifests/') && file.endsWith('.yaml'))
        .map((file) => file.slice('manifests/'.length));
      expect(yaml.length).toBeGreaterThan(10);
      expect(await verify.yamllintFindings(yaml)).toBe('');
    });
  });

  // The gates, one place: canary-analysis' FLAGGER_GATES follow the copy's registry, and its agreement
  // test holds every Canary file of progressive-delivery (the scaffolded ones too) to them.
  it("their Canaries' gates agree with the verdict's (canary-analysis' agreement test, in the copy)", async () => {
    const result = await node(
      [VITEST, 'run', '--reporter=verbose', 'test/agreement.test.ts'],
      path.join(repo.root, 'packages/canary-analysis'),
    );
    expectSuccess(result, 'the agreement test');
    for (const service of [HTTP_SERVICE, GRPC_SERVICE]) {
      expect(result.stdout).toContain(
        `canary-${service.name}.yaml: the Canary's analysis is its service's gates`,
      );
      expect(result.stdout).toContain(`${service.name}: Flagger's MetricTemplates count errors and latency`);
    }
  });

  it('CI picks both up: the image matrix, their canary labels from a change, the release bump', async () => {
    const matrix = await node(['.github/scripts/services.mjs', 'matrix', '--canary'], repo.root);
    expectSuccess(matrix, 'services.mjs matrix');
    expect(JSON.parse(matrix.stdout)).toEqual(expect.arrayContaining([HTTP_SERVICE.name, GRPC_SERVICE.name]));
    for (const service of [HTTP_SERVICE, GRPC_SERVICE]) {
      const changed = await node(
        ['.github/scripts/changed-services.mjs', '--pr', PR, '--labels', '[]'],
        repo.root,
        undefined,
        `apps/${service.name}/src/app.ts\n`,
      );
      expectSuccess(changed, `changed-services for ${service.name}`);
      expect(JSON.parse(changed.stdout)).toMatchObject({
        build: [service.name],
        add_labels: [`canary/${service.name}`],
      });
    }
    // release.yml bumps every registered image in each overlay (and fails on one without an entry).
    const overlay = path.join(repo.root, '.git/staging-kustomization.yaml');
    writeFileSync(
      overlay,
      readFileSync(path.join(repo.root, 'manifests/overlays/staging/kustomization.yaml')),
    );
    const bump = await node(
      [
        '.github/scripts/bump-overlay-images.mjs',
        '--kustomization',
        overlay,
        '--owner',
        'acme',
        '--ref',
        'v1.2.3',
      ],
      repo.root,
    );
    expectSuccess(bump, 'bump-overlay-images');
    const { images } = parse(readFileSync(overlay, 'utf8')) as { images: Record<string, string>[] };
    for (const service of [HTTP_SERVICE, GRPC_SERVICE])
      expect(images).toContainEqual({
        name: `ghcr.io/pr-canary/${service.name}`,
        newName: `ghcr.io/acme/${service.name}`,
        newTag: '1.2.3',
      });
  });

  it(`telepresence intercepts either for PR ${PR}'s requests, on the port named for its protocol`, async () => {
    for (const service of [HTTP_SERVICE, GRPC_SERVICE]) {
      const intercept = await run(
        'bash',
        ['localdev/telepresence/intercept.sh', '--dry-run', service.name, PR],
        repo.root,
      );
      expectSuccess(intercept, `intercept.sh ${service.name}`);
      expect(intercept.stdout).toContain(
        `+ telepresence intercept ${service.name} --http-header X-Canary=${PR} --port 8080:${service.protocol}`,
      );
      expect(intercept.stdout).toContain(`npm start --workspace @pr-canary/${service.name}`);
    }
  });

  it('npm start builds both: its build plan has them', async () => {
    // The filters localdev/bin/start.mjs hands turbo, as that script computes them in the copy.
    const filters = await node(
      [
        '--input-type=module',
        '--eval',
        "import { stackBuildFilters } from './localdev/bin/run-ts.mjs'; console.log(JSON.stringify(stackBuildFilters('npm start')));",
      ],
      repo.root,
    );
    expectSuccess(filters, 'stackBuildFilters');
    const plan = await node(
      [
        fromSource.resolve('turbo/bin/turbo'),
        'run',
        'build',
        ...JSON.parse(filters.stdout),
        '--dry-run=json',
      ],
      repo.root,
    );
    expectSuccess(plan, 'turbo --dry-run');
    const tasks = (JSON.parse(plan.stdout) as { tasks: { taskId: string }[] }).tasks.map(
      (task) => task.taskId,
    );
    for (const service of [HTTP_SERVICE, GRPC_SERVICE])
      expect(tasks).toContain(`@pr-canary/${service.name}#build`);
  });

  // What that build changes here, package by package (tsc, as each package's build script runs it):
  // the registry and the two new services. Everything else was copied built and did not change, so
  // the test spares turbo re-running tsc over every dependant of the registry. The builds only emit
  // (tsconfig.build.base.json: no type checking, no imports followed; `npm run typecheck` and CI check
  // types), so the type check is the next step.
  it.each(BUILT)('builds %s', async (dir) => {
    expectSuccess(await node([TSC, '-p', 'tsconfig.build.json'], path.join(repo.root, dir)), `tsc in ${dir}`);
  });

  // What it built, type-checked with the imports and Node's types it needs: the three in one program,
  // which parses what they share (Node's types, Fastify's, grpc-js', the workspaces they import) once —
  // a program each cost 2.5 times the CPU (23 s against 9 s, Dec 2026).
  it('type-checks what it built', async () => {
    const config = path.join(repo.root, '.git/scaffold-typecheck.tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        extends: '../tsconfig.build.base.json',
        compilerOptions: {
          noEmit: true,
          incremental: false,
          noCheck: false,
          noResolve: false,
          types: ['node'],
        },
        include: BUILT.map((dir) => `../${dir}/src`),
      }),
    );
    const checked = await node([TSC, '-p', config, '--listFiles'], repo.root);
    // --listFiles prints the program's files as absolute paths; its errors name files relative to here.
    const lines = checked.stdout.split('\n');
    expectSuccess({ ...checked, stdout: lines.filter((line) => !line.startsWith('/')).join('\n') }, 'tsc');
    // Each one's sources were in the program (a path that matched nothing would check nothing).
    for (const dir of BUILT)
      expect(lines.some((file) => file.startsWith(`${path.join(repo.root, dir, 'src')}/`))).toBe(true);
  });

  // The repository's own tests that know the registered services, run in the copy as they are: with
  // two more services registered they must still pass, so none may hard-code the shipped services
  // where a rule over the registry decides (a scaffold once broke four of them), and the repeated-code
  // check must take two services filled in from one template for what they are. kustomize-builds runs
  // only its part that names services (its builds are the manifests checks above). localdev's stack
  // tests that follow the registry too (stack.test.ts, stack-lifecycle.test.ts) start whole stacks
  // (~15 s, ~3 s): the stack step below stands for them. Under the shared
  // vitest config without the workspaces' global setups, which these files do not use: localdev's
  // would rebuild the copy's workspaces, manifests' renders the whole corpus (each > 18 s here).
  it.each(
    REGISTRY_DEPENDENT_TESTS.map(([workspace = '', ...args]) => ({ workspace, args, shown: args.join(' ') })),
  )(
    "the repository's tests that read the registry pass in the copy: $workspace $shown",
    async ({ workspace, args }) => {
      const config = path.join(repo.root, '.git/registry-tests.config.mts');
      writeFileSync(
        config,
        "import { sharedConfig } from '../vitest.shared.mts';\nexport default sharedConfig;\n",
      );
      expectSuccess(
        await node(
          [VITEST, 'run', '--config', config, '--root', path.join(repo.root, workspace), ...args],
          repo.root,
        ),
        `${workspace} ${args.join(' ')}`,
      );
    },
  );

  it(`the stack npm start runs brings both up, stable and a PR ${PR} canary of each`, async () => {
    const [http = 0, grpc = 0] = await freePorts(2);
    ports = { http, grpc };
    const parentWatch = fromSource.resolve('@pr-canary/local-kit/parent-watch');
    const child = spawn(
      process.execPath,
      [
        '--enable-source-maps',
        '--import',
        parentWatch,
        // What `npm start` runs once its build is done (localdev/bin/start.mjs → runCompiled).
        'localdev/dist/cli/start.js',
        '--no-web',
        '--in-memory',
        // The routers' ports it calls; the OS picks the others (their defaults may be taken by
        // another test or a developer's running `npm start`).
        ...everyPortOption({ http: ports.http, grpc: ports.grpc }),
        '--canary',
        `${PR}=${HTTP_SERVICE.short},${GRPC_SERVICE.short}`,
      ],
      { cwd: repo.root, env: plainEnv(), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    let output = '';
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    stack = { child, output: () => output, exited };
    await expect
      .poll(() => (child.exitCode === null ? output : `exited: ${output}`), {
        timeout: 18_000,
        interval: 100,
      })
      .toContain('Ctrl-C stops everything.');
  });

  it(`the edge routes X-Canary ${PR} to the http service's canary, anything else to stable`, async () => {
    const host = `${HTTP_SERVICE.short}.localhost`;
    const helloPath = `/api/${HTTP_SERVICE.short}/hello`;
    const canary = await getThroughEdge(ports.http, host, helloPath, PR);
    expect(canary.status).toBe(200);
    expect(canary.servedBy).toMatch(new RegExp(`^${HTTP_SERVICE.name};track="pr-${PR}"`));
    expect(canary.body).toMatchObject({ track: `pr-${PR}` });
    for (const key of [undefined, '7', 'abc']) {
      const stable = await getThroughEdge(ports.http, host, helloPath, key);
      expect(stable.status, String(key)).toBe(200);
      expect(stable.servedBy, String(key)).toMatch(new RegExp(`^${HTTP_SERVICE.name};track="stable"`));
    }
  });

  it(`the mesh routes x-canary ${PR} to the grpc service's canary, anything else to stable`, async () => {
    const contract = loadProto<Record<string, Record<string, Record<string, grpc.ServiceClientConstructor>>>>(
      path.join(repo.root, 'proto/scaffold_grpc/v1/scaffold_grpc.proto'),
    );
    const method = contract.scaffold_grpc?.v1?.ScaffoldGrpcService?.service.SayHello;
    if (!method) throw new Error('the contract has no scaffold_grpc.v1.ScaffoldGrpcService/SayHello');
    const client = new grpc.Client(`127.0.0.1:${ports.grpc}`, grpc.credentials.createInsecure());
    const sayHello = (canary: string | undefined) =>
      new Promise<{ track: string; servedBy: string }>((resolve, reject) => {
        const metadata = new grpc.Metadata();
        if (canary) metadata.set('x-canary', canary);
        let servedBy = '';
        const call = client.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize as (bytes: Buffer) => { track: string },
          { name: 'router' },
          metadata,
          (error, response) =>
            error || !response ? reject(error) : resolve({ track: response.track, servedBy }),
        );
        call.on('metadata', (headers) => {
          servedBy = String(headers.get('x-served-by')[0] ?? '');
        });
      });
    try {
      const canary = await sayHello(PR);
      expect(canary.track).toBe(`pr-${PR}`);
      expect(canary.servedBy).toMatch(new RegExp(`^${GRPC_SERVICE.name};track="pr-${PR}"`));
      for (const key of [undefined, '7', 'abc']) {
        expect((await sayHello(key)).track, String(key)).toBe('stable');
      }
    } finally {
      client.close();
    }
  });
});
