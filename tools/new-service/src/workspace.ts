/**
 * The new workspace's package.json and its place in package-lock.json, derived rather than written
 * down: dependencies are the packages the rendered sources import (tests' imports are dev
 * dependencies), each at the exact version the lockfile already pins, so a template never drifts
 * from the repository's versions and `npm ci` accepts the result without fetching anything.
 */
import { packageOf } from '@pr-canary/ship-checks/package-name';
import { readWorkspaces } from '../../../.github/scripts/changed-services.mjs';
import { InvalidNameError, type ServiceName } from './name';
import type { FileSet, Protocol } from './templates';

/** The new workspace's package name: `@pr-canary/<name>`. */
export const packageNameOf = (name: string): string => `@pr-canary/${name}`;

/** A package of the repository's own workspaces. */
export interface WorkspacePackage {
  /** The package name, e.g. `@pr-canary/traces`. */
  name: string;
  /** Its folder, e.g. `packages/traces`. */
  dir: string;
}

/**
 * Every workspace package of the repository at `root`, as CI's changed-services script reads them
 * (the root package.json `workspaces`: folders and `folder/*`, each with its package.json).
 */
export function workspacePackages(root: string): WorkspacePackage[] {
  return readWorkspaces(root).map(({ name, dir }) => ({ name, dir }));
}

/**
 * Refuses a name (or its short form) that an existing workspace package of the repository has: the new
 * workspace would be that package (`@pr-canary/<name>`), or a second spelling of it.
 */
export function assertNotAWorkspace(service: ServiceName, workspaces: readonly WorkspacePackage[]): void {
  for (const word of new Set([service.name, service.short])) {
    const existing = workspaces.find((workspace) => workspace.name === packageNameOf(word));
    if (existing)
      throw new InvalidNameError(
        `"${service.name}" is taken: ${word === service.name ? 'it' : `its short name "${word}"`} is an existing package of this repository (${existing.name} in ${existing.dir}/); choose another name`,
      );
  }
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|(?:^|\n)\s*import\s+'([^']+)'/g;

function importsOf(files: Iterable<[string, string]>): Set<string> {
  const found = new Set<string>();
  for (const [, text] of files) {
    for (const match of text.matchAll(IMPORT)) {
      const name = packageOf(match[1] ?? match[2] ?? '');
      if (name) found.add(name);
    }
  }
  return found;
}

export interface Lockfile {
  packages: Record<
    string,
    { name?: string; version?: string; resolved?: string; link?: boolean } & Record<string, unknown>
  >;
}

export interface RootManifest {
  devDependencies?: Record<string, string>;
}

/** The exact version `name` is installed at: a workspace's own version, or the hoisted package's. */
function pinnedVersion(name: string, lock: Lockfile): string {
  const entry = lock.packages[`node_modules/${name}`];
  const target = entry?.link && entry.resolved ? lock.packages[entry.resolved] : entry;
  if (!target?.version)
    throw new Error(
      `${name} is not installed at the repository root (package-lock.json has no node_modules/${name})`,
    );
  return target.version;
}

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b, 'en')));
}

export interface WorkspaceManifest {
  name: string;
  version: string;
  private: true;
  description: string;
  exports: Record<string, Record<string, string>>;
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export function workspaceManifest(
  service: ServiceName,
  protocol: Protocol,
  workspace: string,
  rendered: FileSet,
  lock: Lockfile,
  root: RootManifest,
): WorkspaceManifest {
  const inWorkspace = [...rendered].filter(([file]) => file.startsWith(`${workspace}/`));
  const isSource = ([file]: [string, string]) => file.startsWith(`${workspace}/src/`) && file.endsWith('.ts');
  const isTest = ([file]: [string, string]) => file.startsWith(`${workspace}/test/`) && file.endsWith('.ts');
  const provided = new Set(Object.keys(root.devDependencies ?? {}));
  const runtime = importsOf(inWorkspace.filter(isSource));
  const testOnly = [...importsOf(inWorkspace.filter(isTest))].filter(
    (name) => !runtime.has(name) && !provided.has(name),
  );
  const pin = (names: Iterable<string>) =>
    sorted(Object.fromEntries([...names].map((name) => [name, pinnedVersion(name, lock)])));
  const manifest: WorkspaceManifest = {
    name: packageNameOf(service.name),
    version: '0.1.0',
    private: true,
    description:
      protocol === 'http'
        ? `${service.name}: an HTTP service at the edge (npm run new-service)`
        : `${service.name}: a gRPC service in the mesh (npm run new-service)`,
    exports: {
      '.': { types: './src/index.ts', 'pr-canary-source': './src/index.ts', default: './dist/index.js' },
    },
    files: ['dist'],
    scripts: {
      prestart: `turbo run build --filter=@pr-canary/${service.name} --output-logs=errors-only`,
      start: 'node --expose-gc --require @pr-canary/service-kit/register dist/server.js',
      build: 'tsc -p tsconfig.build.json',
      typecheck: 'tsc --noEmit',
      test: 'vitest run',
    },
    dependencies: pin(runtime),
  };
  if (testOnly.length > 0) manifest.devDependencies = pin(testOnly);
  return manifest;
}

/**
 * package-lock.json with the new workspace in it, as `npm install` records one: the folder's entry
 * (name, version, dependencies) and the `node_modules/@pr-canary/<name>` link, each inserted where npm
 * sorts it, every other entry left where it is.
 */
export function lockfileWithWorkspace(
  lockText: string,
  workspace: string,
  manifest: WorkspaceManifest,
): string {
  const lock = JSON.parse(lockText) as Lockfile & Record<string, unknown>;
  const additions: [string, Record<string, unknown>][] = [
    [
      workspace,
      {
        name: manifest.name,
        version: manifest.version,
        dependencies: manifest.dependencies,
        ...(manifest.devDependencies ? { devDependencies: manifest.devDependencies } : {}),
      },
    ],
    [`node_modules/${manifest.name}`, { resolved: workspace, link: true }],
  ];
  let entries = Object.entries(lock.packages);
  for (const [key, value] of additions) {
    if (key in lock.packages) throw new Error(`package-lock.json already has "${key}"`);
    // The root entry ("") stays first; npm orders the rest by name.
    const at = entries.findIndex(([other]) => other !== '' && other.localeCompare(key, 'en') > 0);
    entries =
      at === -1 ? [...entries, [key, value]] : [...entries.slice(0, at), [key, value], ...entries.slice(at)];
  }
  lock.packages = Object.fromEntries(entries) as Lockfile['packages'];
  return `${JSON.stringify(lock, null, 2)}\n`;
}
