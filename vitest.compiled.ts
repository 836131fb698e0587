import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const ROOT = __dirname;
/** Where each workspace's build keeps its incremental state (tsconfig.build.json `tsBuildInfoFile`). */
const BUILD_INFO = 'dist/.tsbuildinfo';
/** What a build reads besides `src/`: a change to any of these makes dist/ stale too. */
const BUILD_INPUTS = [
  'package.json',
  'tsconfig.build.json',
  '../tsconfig.base.json',
  '../../tsconfig.base.json',
  '../tsconfig.build.base.json',
  '../../tsconfig.build.base.json',
];

function newestChange(file: string): number {
  const stats = statSync(file);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(file)) newest = Math.max(newest, newestChange(path.join(file, entry)));
  return newest;
}

/** Whether `<dir>/dist` was built after the last change to what it is built from. */
function isBuildFresh(dir: string): boolean {
  const info = path.join(dir, BUILD_INFO);
  if (!existsSync(info)) return false;
  const inputs = [path.join(dir, 'src'), ...BUILD_INPUTS.map((input) => path.join(dir, input))];
  const newestInput = Math.max(...inputs.filter((input) => existsSync(input)).map(newestChange));
  return statSync(info).mtimeMs >= newestInput;
}

/** `dir` and the workspaces it depends on (dependencies and devDependencies, transitively) that tsc builds. */
function builtWorkspaces(dir: string, byName: Map<string, string>, seen = new Set<string>()): string[] {
  if (seen.has(dir)) return [];
  seen.add(dir);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const deps = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  const below = deps.flatMap((name) => {
    const depDir = byName.get(name);
    return depDir ? builtWorkspaces(depDir, byName, seen) : [];
  });
  return existsSync(path.join(dir, 'tsconfig.build.json')) ? [...below, dir] : below;
}

/** Workspace folders by package name, from the root package.json `workspaces` globs (`dir` or `dir/*`). */
function workspacesByName(): Map<string, string> {
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const dirs = root.workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(path.join(ROOT, pattern.slice(0, -2))).map((entry) =>
          path.join(ROOT, pattern.slice(0, -2), entry),
        )
      : [path.join(ROOT, pattern)],
  );
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest))
      byName.set((JSON.parse(readFileSync(manifest, 'utf8')) as { name: string }).name, dir);
  }
  return byName;
}

/**
 * vitest globalSetup of the suites that spawn compiled services (`globalSetup: ['../../vitest.compiled.ts']`).
 * Those tests run `dist/` while vitest imports the sources. `npm test` builds first (turbo); this keeps a
 * direct `npx vitest` honest too: when the workspace or a workspace it depends on has a dist/ that is
 * missing or older than its sources, turbo builds them (tsc, incremental, into turbo's cache, which
 * `npm start` reuses) before any test runs. It runs in vitest's main process, once per run.
 */
export default function setup(project: { config: { root: string } }): void {
  const byName = workspacesByName();
  // The suite's own workspace and what it depends on, plus every Node service of the registry (the
  // local stack spawns them all without depending on them).
  const registry = JSON.parse(
    readFileSync(path.join(ROOT, 'packages/contracts/src/services.json'), 'utf8'),
  ) as {
    services: { runtime: string; workspace: string }[];
  };
  const seen = new Set<string>();
  const built = [
    project.config.root,
    ...registry.services
      .filter((service) => service.runtime === 'node')
      .map((service) => path.join(ROOT, service.workspace)),
  ].flatMap((dir) => builtWorkspaces(dir, byName, seen));
  const stale = built.filter((dir) => !isBuildFresh(dir));
  if (stale.length === 0) return;
  const names = stale.map(
    (dir) => (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string }).name,
  );
  process.stderr.write(`vitest: building ${names.join(', ')} (dist/ missing or older than the sources)\n`);
  const turbo = createRequire(path.join(ROOT, 'package.json')).resolve('turbo/bin/turbo');
  execFileSync(
    process.execPath,
    [turbo, 'run', 'build', '--output-logs=errors-only', ...names.map((name) => `--filter=${name}`)],
    { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] },
  );
}
