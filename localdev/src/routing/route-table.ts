/**
 * "Which canaries exist → which routes", written once. Pure data, no I/O.
 *
 * The dev router uses it at runtime; the manifests' checks can use it to compute the routes a set of
 * PR canaries must produce in the cluster (Traefik IngressRoute in the PR namespace for the api,
 * Linkerd GRPCRoute in `apps` for the store) and compare them with what Kustomize renders.
 *
 * Semantics (mirroring Traefik v3 `Header()` and the Gateway API `Exact` header match):
 * - a request goes to a canary when one of its `X-Canary` / `x-canary` values is *exactly* the PR number
 *   (no trimming, no number parsing: `042` or `42,42` match nothing);
 * - everything else (no key, an invalid key, a PR without a canary for that service) goes to stable.
 */

export const ROUTED_SERVICES = ['api-service', 'store-service'] as const;
export type RoutedService = (typeof ROUTED_SERVICES)[number];

/** A PR number as it appears in the header and in names: `^[1-9][0-9]{0,8}$`. */
export const PR_NUMBER_PATTERN = /^[1-9][0-9]{0,8}$/;

export type Track = 'stable' | `pr-${string}`;

export interface CanaryDeployment {
  /** PR number, e.g. "42". */
  pr: string;
  /** Services that have a canary for this PR. */
  services: readonly RoutedService[];
}

export interface RouteBackend {
  service: RoutedService;
  track: Track;
  /** Kubernetes namespace the backend lives in (`apps` or `<api|store>-canary-pr-<N>`). */
  namespace: string;
}

export interface HeaderRoute {
  service: RoutedService;
  /** `http` = edge (Traefik IngressRoute); `grpc` = mesh (Linkerd GRPCRoute). */
  protocol: 'http' | 'grpc';
  match: { header: string; type: 'Exact'; value: string };
  backend: RouteBackend;
  /** Explicit priority above the stable route (Traefik's `priority`; informative for the mesh). */
  priority: number;
}

export interface RouteTable {
  routes: readonly HeaderRoute[];
  /** The catch-all route per service: stable. */
  defaults: Readonly<Record<RoutedService, RouteBackend>>;
}

export const STABLE_NAMESPACE = 'apps';
/** Traefik priorities, as in manifests/components/edge-routes (stable) and manifests/pr-canary/api (PR). */
export const STABLE_ROUTE_PRIORITY = 10;
export const CANARY_ROUTE_PRIORITY = 100;

const PROTOCOL: Readonly<Record<RoutedService, HeaderRoute['protocol']>> = {
  'api-service': 'http',
  'store-service': 'grpc',
};

/** Header name as written in each route kind (Traefik canonicalizes; Gateway API metadata is lower case). */
const MATCH_HEADER: Readonly<Record<HeaderRoute['protocol'], string>> = {
  http: 'X-Canary',
  grpc: 'x-canary',
};

/** `api-canary-pr-42`, `store-canary-pr-42`. */
export function canaryNamespace(service: RoutedService, pr: string): string {
  return `${service.replace(/-service$/, '')}-canary-pr-${pr}`;
}

export function stableBackend(service: RoutedService): RouteBackend {
  return { service, track: 'stable', namespace: STABLE_NAMESPACE };
}

export function canaryBackend(service: RoutedService, pr: string): RouteBackend {
  return { service, track: `pr-${pr}`, namespace: canaryNamespace(service, pr) };
}

/** Builds the routes for a set of canaries. Throws on a malformed PR number or a duplicate canary. */
export function routeTable(canaries: readonly CanaryDeployment[]): RouteTable {
  const routes: HeaderRoute[] = [];
  const seen = new Set<string>();
  for (const canary of canaries) {
    assertPrNumber(canary.pr);
    for (const service of canary.services) {
      const id = `${service}@${canary.pr}`;
      if (seen.has(id)) throw new Error(`PR ${canary.pr} lists ${service} twice`);
      seen.add(id);
      routes.push(headerRoute(service, canary.pr));
    }
  }
  routes.sort(byServiceThenPr);
  return {
    routes,
    defaults: {
      'api-service': stableBackend('api-service'),
      'store-service': stableBackend('store-service'),
    },
  };
}

function headerRoute(service: RoutedService, pr: string): HeaderRoute {
  const protocol = PROTOCOL[service];
  return {
    service,
    protocol,
    match: { header: MATCH_HEADER[protocol], type: 'Exact', value: pr },
    backend: canaryBackend(service, pr),
    priority: CANARY_ROUTE_PRIORITY,
  };
}

function byServiceThenPr(a: HeaderRoute, b: HeaderRoute): number {
  return a.service.localeCompare(b.service) || Number(a.match.value) - Number(b.match.value);
}

function assertPrNumber(pr: string): void {
  if (!PR_NUMBER_PATTERN.test(pr)) throw new Error('a PR number must match ^[1-9][0-9]{0,8}$');
}

/**
 * Where a request for `service` carrying these raw canary header values goes.
 * `headerValues` are the values as received (one per header line), untrimmed.
 */
export function resolveRoute(
  table: RouteTable,
  service: RoutedService,
  headerValues: readonly string[] | undefined,
): RouteBackend {
  if (headerValues && headerValues.length > 0) {
    for (const route of table.routes) {
      if (route.service === service && headerValues.includes(route.match.value)) return route.backend;
    }
  }
  return table.defaults[service];
}
