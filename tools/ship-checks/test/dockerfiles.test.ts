import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readWorkspaces, shippedWorkspaces } from '../../../.github/scripts/changed-services.mjs';
import { dockerfileOf, SERVICES } from '../../../.github/scripts/services.mjs';
import {
  type Dockerfile,
  finalStage,
  instructionsOf,
  parseCopy,
  parseDockerfile,
  parseEnv,
  parseExecForm,
  type Stage,
} from '../src/dockerfile';
import { renderedObject } from '../src/kustomize';
import { REPO_ROOT, readRepoFile, readRepoJson, repoFileExists, repoPath } from '../src/repo';
import { run } from '../src/tools';

const workspaces = readWorkspaces(REPO_ROOT);
const rootManifest = readRepoJson<{ devDependencies: Record<string, string> }>('package.json');
type Service = (typeof SERVICES)[number];
const nodeServices = SERVICES.filter((service) => service.runtime === 'node');
// biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's build argument, not a JS template
const SERVICE_ARG = '${SERVICE}';

/** The Dockerfile text that builds `service`: the root recipe with its build argument SERVICE filled in. */
function recipeOf(service: Service): string {
  const text = readRepoFile(dockerfileOf(service));
  return service.runtime === 'node' ? text.replaceAll(SERVICE_ARG, service.name) : text;
}

interface ContainerSpec {
  name: string;
  ports?: { name: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
}
interface DeploymentSpec {
  spec: {
    template: {
      spec: {
        securityContext?: { runAsUser?: number; runAsGroup?: number };
        containers: ContainerSpec[];
        volumes?: { name: string; configMap?: { name: string } }[];
      };
    };
  };
}

/** The service's Deployment as its stable base renders it (facts come from shared components). */
function deploymentOf(service: string): DeploymentSpec {
  return renderedObject<DeploymentSpec>(`manifests/base/${service}`, 'Deployment', service);
}

function stageNamed(dockerfile: Dockerfile, name: string): Stage {
  const stage = dockerfile.stages.find((candidate) => candidate.name === name);
  if (!stage) throw new Error(`no stage named ${name}`);
  return stage;
}

function workdirOf(stage: Stage): string {
  const workdirs = instructionsOf(stage, 'WORKDIR');
  return workdirs.at(-1)?.args ?? '/';
}

/** `node:24.11.1-bookworm-slim` → pinned; `node:24`, `node:lts`, `node:latest`, `node` → not. */
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = /:([^/:@]+)$/.exec(image)?.[1];
  return tag !== undefined && tag !== 'latest' && /^v?\d+\.\d+\.\d+(?:[-._][A-Za-z0-9.-]+)?$/.test(tag);
}

/** Workspace folders turbo prune puts in the pruned monorepo of `appDir`: the app and every internal dependency. */
function prunedWorkspaceDirs(appDir: string): Set<string> {
  const byName = new Map(workspaces.map((workspace) => [workspace.name, workspace]));
  const start = workspaces.find((workspace) => workspace.dir === appDir);
  if (!start) throw new Error(`no workspace at ${appDir}`);
  const seen = new Set<string>([start.dir]);
  const queue = [appDir];
  for (let dir = queue.shift(); dir; dir = queue.shift()) {
    const manifest = readRepoJson<Record<string, Record<string, string> | undefined>>(`${dir}/package.json`);
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
    for (const dep of deps) {
      const workspace = byName.get(dep);
      if (workspace && !seen.has(workspace.dir)) {
        seen.add(workspace.dir);
        queue.push(workspace.dir);
      }
    }
  }
  return seen;
}

/** Root files `turbo prune --docker` writes besides the workspaces (json/ and full/). */
const PRUNE_ROOT_FILES = ['package.json', 'package-lock.json', 'turbo.json', '.gitignore'];

/** The repository-relative file a tsconfig `extends` (relative paths only), if any. */
function extendsOf(tsconfigFile: string): string | undefined {
  const parent = readRepoJson<{ extends?: string }>(tsconfigFile).extends;
  if (parent === undefined) return undefined;
  if (!parent.startsWith('.'))
    throw new Error(`${tsconfigFile} extends a package (${parent}): check it by hand`);
  return path.posix.normalize(path.posix.join(path.posix.dirname(tsconfigFile), parent));
}

/** What `<dir>/dist` is built from: tsc (tsconfig.build.json outDir dist) or vite (default outDir dist). */
function buildsDist(dir: string): boolean {
  const manifest = readRepoJson<{ scripts?: Record<string, string> }>(`${dir}/package.json`);
  const build = manifest.scripts?.build ?? '';
  if (build.includes('tsc -p tsconfig.build.json')) {
    const tsconfig = readRepoJson<{ compilerOptions?: { outDir?: string; rootDir?: string } }>(
      `${dir}/tsconfig.build.json`,
    );
    return tsconfig.compilerOptions?.outDir === 'dist';
  }
  return build.startsWith('vite build');
}

function protoFilesUnder(dir: string): string[] {
  const absolute = path.join(REPO_ROOT, dir);
  return readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.proto') && !file.split(path.sep).includes('node_modules'))
    .filter((file) => statSync(path.join(absolute, file)).isFile())
    .map((file) => `${dir}/${file.split(path.sep).join('/')}`);
}

/** Where the build stage gathers what the runtime copies (every workspace's dist/ and .proto files). */
const SHIPPED = '/shipped/';
const scratch = mkdtempSync(path.join(tmpdir(), 'ship-checks-gather-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const gatheredBy = new Map<string, string[]>();

/**
 * What the build stage's gathering step copies to /shipped, run with sh on a tree shaped like the
 * pruned, built monorepo: each pruned workspace with its dist/ (where its build writes one) and its
 * real .proto files, plus an installed package in node_modules that must stay out.
 */
function gathered(service: Service, dockerfile: Dockerfile): string[] {
  const cached = gatheredBy.get(service.name);
  if (cached) return cached;
  const gather = instructionsOf(stageNamed(dockerfile, 'build'), 'RUN')
    .map((instruction) => instruction.args)
    .find((args) => args.includes(SHIPPED.slice(0, -1)));
  if (!gather) throw new Error(`${service.name}: the build stage has no RUN that fills ${SHIPPED}`);
  const root = path.join(scratch, service.name);
  const repo = path.join(root, 'repo');
  const out = path.join(root, 'shipped');
  for (const dir of prunedWorkspaceDirs(service.workspace)) {
    mkdirSync(path.join(repo, dir, 'src'), { recursive: true });
    writeFileSync(path.join(repo, dir, 'src', 'index.ts'), '');
    if (buildsDist(dir)) {
      mkdirSync(path.join(repo, dir, 'dist', 'nested'), { recursive: true });
      writeFileSync(path.join(repo, dir, 'dist', 'nested', 'index.js'), '');
    }
    for (const proto of protoFilesUnder(dir)) cpSync(repoPath(proto), path.join(repo, proto));
  }
  mkdirSync(path.join(repo, 'node_modules', 'installed', 'dist'), { recursive: true });
  writeFileSync(path.join(repo, 'node_modules', 'installed', 'dist', 'index.js'), '');
  writeFileSync(path.join(repo, 'node_modules', 'installed', 'vendored.proto'), '');
  const result = run('sh', ['-c', gather.replaceAll(SHIPPED.slice(0, -1), out)], { cwd: repo });
  expect(result.status, result.stderr).toBe(0);
  const files = readdirSync(out, { recursive: true, encoding: 'utf8' })
    .filter((file) => statSync(path.join(out, file)).isFile())
    .map((file) => file.split(path.sep).join('/'))
    .sort();
  gatheredBy.set(service.name, files);
  return files;
}

describe.each(SERVICES.map((service) => [service.name, service] as const))(
  '%s Dockerfile',
  (name, service) => {
    const dockerfile = parseDockerfile(recipeOf(service));
    const runtime = finalStage(dockerfile);
    const stageNames = new Set(dockerfile.stages.map((stage) => stage.name));
    const pruned = prunedWorkspaceDirs(service.workspace);

    it('builds from base images pinned to an exact release, never latest', () => {
      const bases = dockerfile.stages.map((stage) => stage.from).filter((from) => !stageNames.has(from));
      expect(bases.length).toBeGreaterThan(0);
      for (const base of bases) expect(isPinned(base), `${base} is not pinned`).toBe(true);
      expect(recipeOf(service)).not.toMatch(/:latest\b/);
    });

    it('prunes the monorepo to this app with the turbo version the repository uses', () => {
      const prune = stageNamed(dockerfile, 'prune');
      const runs = instructionsOf(prune, 'RUN').map((instruction) => instruction.args);
      expect(runs).toContain(
        `npm install --global --no-audit --no-fund turbo@${rootManifest.devDependencies.turbo}`,
      );
      expect(runs).toContain(
        `turbo prune ${readRepoJson<{ name: string }>(`${service.workspace}/package.json`).name} --docker --out-dir /pruned`,
      );
    });

    it('copies only files that exist in the build context or are produced by an earlier stage', () => {
      for (const stage of dockerfile.stages) {
        for (const copy of instructionsOf(stage, 'COPY').map(parseCopy)) {
          if (copy.from === 'build' && copy.sources.join() === SHIPPED) continue; // gathered: tested below
          if (copy.heredoc) continue;
          if (copy.from === undefined) {
            for (const source of copy.sources) {
              expect(source === '.' || repoFileExists(source), `${source} is not in the build context`).toBe(
                true,
              );
            }
            continue;
          }
          expect(stageNames.has(copy.from), `--from=${copy.from} is not a stage`).toBe(true);
          const origin = stageNamed(dockerfile, copy.from);
          for (const source of copy.sources) {
            if (source.startsWith('/pruned/')) {
              expect(['/pruned/json/', '/pruned/full/']).toContain(source);
              continue;
            }
            const originRoot = `${workdirOf(origin)}/`;
            expect(source.startsWith(originRoot), `${source} is outside ${copy.from}'s ${originRoot}`).toBe(
              true,
            );
            const relative = source.slice(originRoot.length).replace(/\/$/, '');
            if (relative === '') continue; // the whole working directory of that stage (installed deps)
            const dist = /^(.+)\/dist$/.exec(relative);
            if (dist?.[1]) {
              expect(pruned.has(dist[1]), `${dist[1]} is not in the pruned workspace`).toBe(true);
              expect(buildsDist(dist[1]), `nothing builds ${relative}`).toBe(true);
            } else {
              expect(repoFileExists(relative), `${relative} does not exist in the repository`).toBe(true);
            }
          }
        }
      }
    });

    it('gives the build stage every tsconfig the pruned workspaces extend (prune copies workspaces only)', () => {
      const build = stageNamed(dockerfile, 'build');
      const fromContext = instructionsOf(build, 'COPY')
        .map(parseCopy)
        .filter((copy) => copy.from === undefined && !copy.heredoc)
        .flatMap((copy) => copy.sources);
      const available = (file: string) =>
        PRUNE_ROOT_FILES.includes(file) ||
        fromContext.includes(file) ||
        [...pruned].some((dir) => file.startsWith(`${dir}/`));
      let checked = 0;
      for (const dir of pruned) {
        for (const config of ['tsconfig.json', 'tsconfig.build.json'].map((name) => `${dir}/${name}`)) {
          for (let file: string | undefined = config; file && repoFileExists(file); file = extendsOf(file)) {
            expect(available(file), `${file} (from ${config}) is not in the build stage`).toBe(true);
            checked += 1;
          }
        }
      }
      expect(checked).toBeGreaterThan(pruned.size);
    });

    it('runs as a non-root user, the same uid the manifests run it as', () => {
      const user = instructionsOf(runtime, 'USER').at(-1)?.args;
      expect(user).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
      const podSecurity = deploymentOf(name).spec.template.spec.securityContext;
      expect(user).toBe(`${podSecurity?.runAsUser}:${podSecurity?.runAsGroup}`);
    });

    it('exposes exactly the container ports the manifests declare', () => {
      const exposed = instructionsOf(runtime, 'EXPOSE')
        .flatMap((instruction) => instruction.args.split(/\s+/))
        .map(Number)
        .sort();
      const container = deploymentOf(name).spec.template.spec.containers.find((c) => c.name === name);
      const declared = (container?.ports ?? []).map((port) => port.containerPort).sort();
      expect(exposed).toEqual(declared);
    });

    it('starts its process directly in exec form (signals reach it), never through npm or a shell', () => {
      const entrypoint = instructionsOf(runtime, 'ENTRYPOINT').at(-1);
      expect(entrypoint).toBeDefined();
      const argv = parseExecForm(entrypoint as NonNullable<typeof entrypoint>);
      expect(['node', 'nginx']).toContain(argv[0]);
      expect(instructionsOf(runtime, 'CMD')).toEqual([]);
    });

    it('ships every .proto file and every built dist/ its run-time workspaces load', () => {
      const copied = instructionsOf(runtime, 'COPY')
        .map(parseCopy)
        .flatMap((copy) =>
          copy.from === 'build' && copy.sources.join() === SHIPPED
            ? gathered(service, dockerfile)
            : copy.sources.map((source) => source.replace(/^\/repo\//, '')),
        );
      const shipped = [...shippedWorkspaces(workspaces, service.workspace)];
      const needed = [
        ...shipped.flatMap((workspace) => protoFilesUnder(workspace.dir)),
        // A Node service loads its workspaces' compiled JavaScript (a static site bundles them).
        ...(service.runtime === 'node'
          ? shipped
              .filter((workspace) => buildsDist(workspace.dir))
              .map((workspace) => `${workspace.dir}/dist/`)
          : []),
      ];
      if (service.runtime === 'node') expect(needed).toContain(`${service.workspace}/dist/`);
      for (const file of needed) {
        expect(
          copied.some((source) => file.startsWith(source) || source.startsWith(file)),
          `${file} is not copied into the image`,
        ).toBe(true);
      }
    });
  },
);

describe.each(
  SERVICES.filter((service) => service.runtime === 'node').map((service) => [service.name, service] as const),
)('%s Node image', (name, service) => {
  const dockerfile = parseDockerfile(recipeOf(service));
  const runtime = finalStage(dockerfile);
  const argv = parseExecForm(instructionsOf(runtime, 'ENTRYPOINT').at(-1) as never);

  it('starts dist/server.js, which tsc compiles from src/server.ts', () => {
    expect(instructionsOf(runtime, 'WORKDIR').at(-1)?.args).toBe(`/app/${service.workspace}`);
    expect(argv.at(-1)).toBe('dist/server.js');
    const tsconfig = readRepoJson<{ compilerOptions: { rootDir: string; outDir: string } }>(
      `${service.workspace}/tsconfig.build.json`,
    );
    expect(tsconfig.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(repoFileExists(`${service.workspace}/src/server.ts`)).toBe(true);
  });

  it('runs the node command line its workspace’s npm start runs (node flags in one place: the start script)', () => {
    const manifest = readRepoJson<{ scripts: { start: string } }>(`${service.workspace}/package.json`);
    expect(argv).toEqual(manifest.scripts.start.trim().split(/\s+/));
  });

  it('preloads telemetry from service-kit’s built register entry, which the image contains', () => {
    const preload = argv[argv.indexOf('--require') + 1];
    expect(preload).toBe('@pr-canary/service-kit/register');
    const manifest = readRepoJson<{ exports: Record<string, { default: string }> }>(
      'packages/service-kit/package.json',
    );
    expect(manifest.exports['./register']?.default).toBe('./dist/register.js');
    expect(repoFileExists('packages/service-kit/src/register.ts')).toBe(true);
  });

  it('installs production dependencies only for this app', () => {
    const deps = stageNamed(dockerfile, 'deps');
    const install = instructionsOf(deps, 'RUN')
      .map((instruction) => instruction.args)
      .join('\n');
    expect(install).toMatch(/npm ci --omit=dev --workspace=@pr-canary\/[a-z0-9-]+ /);
    expect(install).toContain(`--workspace=@pr-canary/${name}`);
  });

  it('sets only environment variables its config reads, on the ports the manifests use', async () => {
    const configModule = pathToFileURL(repoPath(service.workspace, 'src', 'config.ts')).href;
    const { configVariables } = (await import(/* @vite-ignore */ configModule)) as {
      configVariables: Record<string, unknown>;
    };
    const env = new Map(instructionsOf(runtime, 'ENV').flatMap((instruction) => [...parseEnv(instruction)]));
    for (const variable of env.keys()) {
      expect(Object.keys(configVariables), `${variable} is not read by ${name}`).toContain(variable);
    }
    const container = deploymentOf(name).spec.template.spec.containers.find((c) => c.name === name);
    const ports = new Map((container?.ports ?? []).map((port) => [port.name, String(port.containerPort)]));
    expect(env.get('PORT')).toBe(ports.get('http') ?? ports.get('grpc'));
    expect(env.get('METRICS_PORT')).toBe(ports.get('metrics'));
    // …and the ports the service registry gives it.
    expect([env.get('PORT'), env.get('METRICS_PORT')]).toEqual([
      String(service.port),
      String(service.metricsPort),
    ]);
  });
});

describe('the Node services’ one recipe (the root Dockerfile, build argument SERVICE)', () => {
  const text = readRepoFile('Dockerfile');
  const recipe = parseDockerfile(text);

  it('builds every Node service in the registry, which names its package and workspace as the recipe does', () => {
    expect(nodeServices.length).toBeGreaterThan(0);
    for (const service of nodeServices) {
      expect(dockerfileOf(service), service.name).toBe('Dockerfile');
      expect(service.package, service.name).toBe(`@pr-canary/${service.name}`);
      expect(service.workspace, service.name).toBe(`apps/${service.name}`);
      expect(readRepoJson<{ name: string }>(`${service.workspace}/package.json`).name).toBe(service.package);
    }
    for (const service of SERVICES.filter((candidate) => candidate.runtime !== 'node'))
      expect(dockerfileOf(service), service.name).toBe(`${service.workspace}/Dockerfile`);
  });

  it('declares ARG SERVICE in every stage that uses it (an undeclared one expands to nothing)', () => {
    let uses = 0;
    for (const stage of recipe.stages) {
      stage.instructions.forEach((instruction, index) => {
        if (!`${instruction.args} ${instruction.heredocs.join('')}`.includes(SERVICE_ARG)) return;
        uses += 1;
        const arg = stage.instructions.findIndex(
          (candidate) => candidate.keyword === 'ARG' && /^SERVICE(=|$)/.test(candidate.args),
        );
        expect(arg >= 0 && arg < index, `${stage.name}: ${instruction.keyword} ${instruction.args}`).toBe(
          true,
        );
      });
    }
    expect(uses).toBeGreaterThanOrEqual(4);
    expect(text).not.toMatch(/ARG SERVICE=/); // no default: a build without it must fail, not build another service
  });

  it('refuses a build without SERVICE with a message that says what to pass', () => {
    const prune = stageNamed(recipe, 'prune');
    const guard = instructionsOf(prune, 'RUN').find((instruction) => instruction.args.includes('test -n'));
    expect(guard).toBeDefined();
    const unset = run('sh', ['-c', guard?.args ?? ''], { env: { PATH: process.env.PATH } });
    expect(unset.status).not.toBe(0);
    expect(unset.stderr).toContain('--build-arg SERVICE=');
    const set = run('sh', ['-c', guard?.args ?? ''], {
      env: { PATH: process.env.PATH, SERVICE: 'api-service' },
    });
    expect(set.status).toBe(0);
  });

  it.each(nodeServices.map((service) => [service.name, service] as const))(
    '%s: the gathering ships exactly its pruned workspaces’ dist/ and .proto files, nothing installed',
    (_name, service) => {
      const files = gathered(service, parseDockerfile(recipeOf(service)));
      const expected = [...prunedWorkspaceDirs(service.workspace)]
        .flatMap((dir) => [
          ...(buildsDist(dir) ? [`${dir}/dist/nested/index.js`] : []),
          ...protoFilesUnder(dir),
        ])
        .sort();
      expect(files).toEqual(expected);
    },
  );
});

describe('web image runtime config', () => {
  const runtime = finalStage(parseDockerfile(readRepoFile('apps/web/Dockerfile')));
  const nginxConf = instructionsOf(runtime, 'COPY')
    .filter((copy) => parseCopy(copy).destination === '/etc/nginx/conf.d/default.conf')
    .flatMap((copy) => copy.heredocs)
    .join('');
  const root = /^\s*root\s+(\S+);/m.exec(nginxConf)?.[1];

  it('serves /config.json from the html root, never cached, and ships none of its own', () => {
    expect(root).toBe('/usr/share/nginx/html');
    const block = /location = \/config\.json \{([^}]*)\}/.exec(nginxConf)?.[1] ?? '';
    expect(block).toContain('add_header Cache-Control "no-store" always;');
    expect(block).toContain('try_files $uri =404;');
    expect(repoFileExists('apps/web/public/config.json')).toBe(false);
  });

  it('is mounted by the web Deployment read-only from a ConfigMap at the path the image serves', () => {
    const pod = deploymentOf('web').spec.template.spec;
    const web = pod.containers.find((container) => container.name === 'web');
    const mount = web?.volumeMounts?.find((candidate) => candidate.mountPath === `${root}/config.json`);
    expect(mount, `no volumeMount at ${root}/config.json`).toBeDefined();
    expect(mount).toMatchObject({ subPath: 'config.json', readOnly: true });
    expect(pod.volumes?.find((volume) => volume.name === mount?.name)?.configMap).toBeDefined();
  });
});

describe('.dockerignore', () => {
  const ignored = readRepoFile('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps git history, installed modules, build output and secrets out of the build context', () => {
    for (const pattern of ['.git', '**/node_modules', '**/dist', '**/.env', '**/.turbo']) {
      expect(ignored).toContain(pattern);
    }
  });
});
