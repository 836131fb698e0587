#!/usr/bin/env node
// Which canary services does a pull request change?
//
//   git diff --name-only "$BASE...$HEAD" | node changed-services.mjs --pr 42 --labels '["canary/api-service"]'
//
// A changed file counts for a service when it ends up in that service's image: a file of the
// service's own workspace, or of a workspace it depends on at runtime (transitively, read from the
// workspaces' package.json `dependencies`), or a root file every image is built from (lockfile,
// compiler and build settings), or the Dockerfile it is built from (the root one for every Node
// service). Tests, benchmarks and docs never reach an image and never count.
// A change under manifests/base/<service>/ counts for that service (its canary runs the PR's manifests).
//
// Prints one JSON object (and, with --github-output <file>, appends the same fields as step outputs):
//   changed     services the diff touches                       ["api-service"]
//   build       services to build: changed ∪ already labelled   ["api-service","store-service"]
//   add_labels  canary labels to add (changed but not labelled) ["canary/api-service"]
//   expect      what `pr-canary probe --expect` should see         "api=pr-42,store=pr-42"
// Labels are only ever added: a reviewer who removes one removes that canary; a later push that no
// longer touches a labelled service still rebuilds it, so the canary never points at a missing tag.
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runAsScript } from './cli.mjs';
import { checkPrNumber } from './image-ref.mjs';
import { CANARY_SERVICES, canaryLabel, dockerfileOf } from './services.mjs';

/** Root files every image is built from. */
const GLOBAL_FILES = Object.freeze([
  'package.json',
  'package-lock.json',
  'tsconfig.base.json',
  'tsconfig.build.base.json',
  'turbo.json',
  '.dockerignore',
  '.npmrc',
]);

/** Paths that never reach an image. */
const NOT_SHIPPED = [/(^|\/)test\//, /(^|\/)bench\//, /\.md$/i, /(^|\/)vitest[^/]*\.config\.[cm]?[jt]s$/];

/** @typedef {{ name: string, dir: string, runtimeDeps: string[] }} Workspace */

/**
 * Reads the npm workspaces (exact folders and `folder/*` globs) under `root`.
 * @param {string} root
 * @returns {Workspace[]}
 */
export function readWorkspaces(root) {
  const rootManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  /** @type {string[]} */
  const patterns = Array.isArray(rootManifest.workspaces) ? rootManifest.workspaces : [];
  const dirs = patterns.flatMap((pattern) => expandWorkspacePattern(root, pattern));
  return dirs
    .filter((dir) => existsSync(path.join(root, dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
      const runtimeDeps = Object.keys({
        ...manifest.dependencies,
        ...manifest.optionalDependencies,
        ...manifest.peerDependencies,
      });
      return { name: String(manifest.name), dir, runtimeDeps };
    });
}

/**
 * @param {string} root
 * @param {string} pattern
 * @returns {string[]}
 */
function expandWorkspacePattern(root, pattern) {
  const clean = pattern.replace(/\/+$/, '');
  if (!clean.endsWith('/*')) return [clean];
  const parent = clean.slice(0, -2);
  if (!existsSync(path.join(root, parent))) return [];
  return readdirSync(path.join(root, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${parent}/${entry.name}`);
}

/**
 * Every workspace name a service's image contains: the service and its runtime dependencies.
 * @param {Workspace[]} workspaces
 * @param {string} serviceDir
 */
export function shippedWorkspaces(workspaces, serviceDir) {
  const byName = new Map(workspaces.map((workspace) => [workspace.name, workspace]));
  const start = workspaces.find((workspace) => workspace.dir === serviceDir);
  if (!start) throw new Error(`no workspace at ${serviceDir}`);
  const seen = new Set([start.name]);
  const queue = [start];
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const dep of next.runtimeDeps) {
      const workspace = byName.get(dep);
      if (workspace && !seen.has(workspace.name)) {
        seen.add(workspace.name);
        queue.push(workspace);
      }
    }
  }
  return workspaces.filter((workspace) => seen.has(workspace.name));
}

/**
 * @param {string} file  repository-relative path with forward slashes
 * @param {Workspace[]} shipped
 * @param {import('./services.mjs').Service} service
 */
function fileShipsWith(file, shipped, service) {
  if (NOT_SHIPPED.some((pattern) => pattern.test(file))) return false;
  if (GLOBAL_FILES.includes(file)) return true;
  // The recipe its image is built from (the root Dockerfile, shared by every Node service).
  if (file === dockerfileOf(service)) return true;
  if (file.startsWith(`manifests/base/${service.name}/`)) return true;
  return shipped.some((workspace) => file.startsWith(`${workspace.dir}/`));
}

/**
 * @param {{ files: string[], workspaces: Workspace[] }} input
 * @returns {string[]} names of the canary services the files change
 */
export function changedServices({ files, workspaces }) {
  const normalized = files.map((file) => file.trim().replace(/^\.\//, '')).filter((file) => file !== '');
  return CANARY_SERVICES.filter((service) => {
    const shipped = shippedWorkspaces(workspaces, service.workspace);
    return normalized.some((file) => fileShipsWith(file, shipped, service));
  }).map((service) => service.name);
}

/**
 * @param {{ pr: string, changed: string[], labels: string[] }} input
 */
export function canaryPlan({ pr, changed, labels }) {
  checkPrNumber(pr);
  const labelled = CANARY_SERVICES.filter((service) => labels.includes(canaryLabel(service))).map(
    (service) => service.name,
  );
  const build = CANARY_SERVICES.filter(
    (service) => changed.includes(service.name) || labelled.includes(service.name),
  ).map((service) => service.name);
  const addLabels = CANARY_SERVICES.filter(
    (service) => changed.includes(service.name) && !labelled.includes(service.name),
  ).map((service) => canaryLabel(service));
  const expect = CANARY_SERVICES.map(
    (service) => `${service.short}=${build.includes(service.name) ? `pr-${pr}` : 'stable'}`,
  ).join(',');
  return { changed, build, add_labels: addLabels, expect };
}

/** @param {string} raw */
function parseLabels(raw) {
  /** @type {unknown} */
  const parsed = JSON.parse(raw);
  if (!Array.isArray(parsed) || !parsed.every((label) => typeof label === 'string')) {
    throw new Error('--labels must be a JSON array of strings');
  }
  return /** @type {string[]} */ (parsed);
}

/**
 * Formats a plan as GitHub step outputs (`name=value` lines; JSON values stay on one line).
 * @param {Record<string, unknown>} plan
 */
export function toStepOutputs(plan) {
  return Object.entries(plan)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}\n`)
    .join('');
}

/**
 * @param {string[]} argv
 * @param {string} stdin
 */
export function main(argv, stdin) {
  const { values } = parseArgs({
    args: argv,
    options: {
      pr: { type: 'string' },
      labels: { type: 'string', default: '[]' },
      root: { type: 'string', default: '.' },
      'github-output': { type: 'string' },
    },
  });
  if (!values.pr) throw new Error('--pr is required');
  const workspaces = readWorkspaces(values.root);
  const changed = changedServices({ files: stdin.split('\n'), workspaces });
  const plan = canaryPlan({ pr: values.pr, changed, labels: parseLabels(values.labels) });
  if (values['github-output']) appendFileSync(values['github-output'], toStepOutputs(plan));
  return plan;
}

runAsScript(import.meta.url, 'changed-services', () =>
  JSON.stringify(main(process.argv.slice(2), readFileSync(0, 'utf8'))),
);
