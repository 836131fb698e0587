// The deployable services, in one place for every workflow script.
//
// `canaryLabel` is the pull-request label the integration ApplicationSets select on (manifests/config.yaml
// `prLabels`; a ship check holds the two together): a PR carrying it gets its own copy of that service. `probeKey` is the hop name the
// `pr-canary probe --expect` option uses. web is released but never canaried (it is a static bundle; a
// tester points the stable UI at a canary with X-Canary instead).

/** @typedef {{ name: string, workspace: string, canaryLabel: string | null, probeKey: string | null }} Service */

/** @type {readonly Service[]} */
export const SERVICES = Object.freeze([
  Object.freeze({
    name: 'api-service',
    workspace: 'apps/api-service',
    canaryLabel: 'canary/api-service',
    probeKey: 'api',
  }),
  Object.freeze({
    name: 'store-service',
    workspace: 'apps/store-service',
    canaryLabel: 'canary/store-service',
    probeKey: 'store',
  }),
  Object.freeze({ name: 'web', workspace: 'apps/web', canaryLabel: null, probeKey: null }),
]);

/** Services that get a per-PR canary, in request-path order (edge first). */
export const CANARY_SERVICES = Object.freeze(SERVICES.filter((service) => service.canaryLabel !== null));

/** @param {string} name */
export function serviceNamed(name) {
  const service = SERVICES.find((candidate) => candidate.name === name);
  if (!service)
    throw new Error(`unknown service "${name}" (known: ${SERVICES.map((s) => s.name).join(', ')})`);
  return service;
}
