#!/usr/bin/env node
// The deployable services for every workflow script, read from the service registry
// (packages/contracts/src/services.json; packages/contracts/README.md describes the fields). No list
// of services is written here or in any workflow: this module and its CLI hand out the registry's.
//
//   node services.mjs names [--canary]   → one name per line (shell loops: create-release.sh, …)
//   node services.mjs matrix [--canary]  → a JSON array of names (a workflow's strategy.matrix)
//   node services.mjs dockerfile <name>  → the service's Dockerfile (docker/build-push-action `file`):
//                                          the root Dockerfile for every Node service (one recipe, built
//                                          with --build-arg SERVICE=<name>), the app's own otherwise
//
// The registry is read as JSON, so these scripts need neither a build nor TypeScript; the contracts
// package validates the same data (its `./services` module), and tools/ship-checks holds this module's
// view equal to that validated one. A PR carrying `canary/<name>` (the label its PR ApplicationSet selects on)
// gets its own copy of that service; `short` is the hop name `pr-canary probe --expect` uses.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const REGISTRY = new URL('../../packages/contracts/src/services.json', import.meta.url);

/** @typedef {{ name: string, short: string, workspace: string, package: string, runtime: 'node' | 'static',
 *   protocol: 'http' | 'grpc', hop: 'edge' | 'mesh', port: number, metricsPort: number, image: string,
 *   canary: boolean, grpcService?: string, table?: string, bodyLimitBytes?: number }} Service */

/** @type {readonly Service[]} every registered service, in request-path order (edge first) */
export const SERVICES = Object.freeze(
  JSON.parse(readFileSync(REGISTRY, 'utf8')).services.map((/** @type {Service} */ service) =>
    Object.freeze(service),
  ),
);

/** Services that get a per-PR canary, in request-path order (edge first). */
export const CANARY_SERVICES = Object.freeze(SERVICES.filter((service) => service.canary));

/** @param {string} name */
export function serviceNamed(name) {
  const service = SERVICES.find((candidate) => candidate.name === name);
  if (!service)
    throw new Error(`unknown service "${name}" (registered: ${SERVICES.map((s) => s.name).join(', ')})`);
  return service;
}

/**
 * The pull-request label asking for a canary of `service` (as the contracts' `canaryLabel`).
 * @param {Pick<Service, 'name'>} service
 */
export function canaryLabel(service) {
  return `canary/${service.name}`;
}

/**
 * The Dockerfile that builds `service`: every Node service shares the root recipe (build argument
 * SERVICE = its name, which the recipe turns into package @pr-canary/<name> in apps/<name>); a static
 * site (web) keeps its own.
 * @param {Pick<Service, 'runtime' | 'workspace'>} service
 */
export function dockerfileOf(service) {
  return service.runtime === 'node' ? 'Dockerfile' : `${service.workspace}/Dockerfile`;
}

/** @param {string[]} argv */
export function main(argv) {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { canary: { type: 'boolean', default: false } },
    allowPositionals: command === 'dockerfile',
  });
  if (command === 'dockerfile') {
    if (positionals.length !== 1) throw new Error('usage: services.mjs dockerfile <name>');
    return dockerfileOf(serviceNamed(String(positionals[0])));
  }
  const names = (values.canary ? CANARY_SERVICES : SERVICES).map((service) => service.name);
  if (command === 'names') return names.join('\n');
  if (command === 'matrix') return JSON.stringify(names);
  throw new Error('usage: services.mjs names|matrix [--canary] | dockerfile <name>');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(`${main(process.argv.slice(2))}\n`);
  } catch (error) {
    process.stderr.write(`services: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
