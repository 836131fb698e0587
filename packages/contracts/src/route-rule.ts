/**
 * The route rule: "which canaries exist → which routes", written once. Pure data, no I/O.
 *
 * localdev's dev routers evaluate it at runtime; the manifests' checks use it to compute the routes a set of
 * PR canaries must produce in the cluster (Traefik IngressRoute in the PR namespace for the api,
 * Linkerd GRPCRoute in `apps` for the store) and compare them with what Kustomize renders.
 *
 * Semantics: a request goes to PR N's canary only when it carries `X-Canary` / `x-canary` and **every**
 * value (one per header line or metadata entry, as received) is exactly `N` — no trimming, no number
 * parsing: `042`, `42,42` on one line, or `42` plus any second line (`7`, `abc`, `043`) match nothing.
 * Everything else (no key, an invalid key, a PR without a canary for that service) goes to stable.
 *
 * Traefik v3's `Header(name, value)` matches when *any* value equals (pkg/muxer/http/matcher.go:
 * `slices.Contains(req.Header[key], value)`), so the edge rule adds a negated `HeaderRegexp` whose Go
 * RE2 pattern matches every value except `N` ({@link otherValuePattern}; RE2 has no lookahead, so the
 * complement is derived digit by digit). The dev router evaluates that very pattern.
 */

import { CANARY_HEADER, CANARY_HEADER_CANONICAL, PR_NUMBER_PATTERN, type Track } from './canary-key';
import { canaryNamespace as namespaceOf, nodeServices, serviceNamed } from './services';

/** The routed services: every Node service of the registry (./services). */
export const ROUTED_SERVICES: readonly string[] = nodeServices().map((service) => service.name);
/** A registered service's `name`. */
export type RoutedService = string;

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
  /**
   * `value`: the PR number every value must equal; `otherValuePattern`: the RE2/JS pattern that
   * matches any value other than `value` (a route matches when no value matches it).
   */
  match: { header: string; type: 'Exact'; value: string; otherValuePattern: string };
  backend: RouteBackend;
  /** Explicit priority above the stable route (Traefik's `priority`; informative for the mesh). */
  priority: number;
}

export interface RouteTable {
  routes: readonly HeaderRoute[];
  /** The catch-all route per routed service: stable. */
  defaults: Readonly<Record<RoutedService, RouteBackend>>;
}

export const STABLE_NAMESPACE = 'apps';
/** Traefik priorities, as in manifests/components/edge-routes (stable) and manifests/pr-canary/api (PR). */
export const STABLE_ROUTE_PRIORITY = 10;
export const CANARY_ROUTE_PRIORITY = 100;

/** Header name as written in each route kind (Traefik canonicalizes; Gateway API metadata is lower case). */
const MATCH_HEADER: Readonly<Record<HeaderRoute['protocol'], string>> = {
  http: CANARY_HEADER_CANONICAL,
  grpc: CANARY_HEADER,
};

/** `<short>-canary-pr-<N>` of the registry, e.g. `store-canary-pr-42`. */
export function canaryNamespace(service: RoutedService, pr: string): string {
  return namespaceOf(serviceNamed(service), pr);
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
      if (!serviceNamed(service).canary) throw new Error(`${service} has no PR canaries`);
      const id = `${service}@${canary.pr}`;
      if (seen.has(id)) throw new Error(`PR ${canary.pr} lists ${service} twice`);
      seen.add(id);
      routes.push(headerRoute(service, canary.pr));
    }
  }
  routes.sort(byServiceThenPr);
  return {
    routes,
    defaults: Object.fromEntries(ROUTED_SERVICES.map((service) => [service, stableBackend(service)])),
  };
}

function headerRoute(service: RoutedService, pr: string): HeaderRoute {
  const { protocol } = serviceNamed(service);
  return {
    service,
    protocol,
    match: {
      header: MATCH_HEADER[protocol],
      type: 'Exact',
      value: pr,
      otherValuePattern: otherValuePattern(pr),
    },
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
 * A pattern matching every string except exactly `pr`, in the subset of syntax where Go's RE2 (which
 * Traefik compiles `HeaderRegexp` with, searching unanchored) and JavaScript agree: `^`, `$` (end of
 * text in RE2 without the `m` flag, and in JS without it), classes `[^d]` and `[\s\S]`, `(?:…)`, `|`.
 * For `42`: `^(?:$|[^4]|4(?:$|[^2]|2(?:[\s\S])))` — empty, or a first character other than 4, or
 * 4 then (end, or not 2, or 2 then anything more). The same derivation, with Go's `regexReplaceAll`,
 * is in the PR api ApplicationSet (manifests/argocd/applicationsets/pr-api-service.yaml).
 */
export function otherValuePattern(pr: string): string {
  assertPrNumber(pr);
  let rest = '[\\s\\S]';
  for (const digit of [...pr].reverse()) rest = `$|[^${digit}]|${digit}(?:${rest})`;
  return `^(?:${rest})`;
}

/** The Traefik v3 rule of PR `pr`'s edge route on `host`. */
export function edgeRule(host: string, route: Pick<HeaderRoute, 'match'>): string {
  const { header, value, otherValuePattern: others } = route.match;
  return `Host(\`${host}\`) && Header(\`${header}\`, \`${value}\`) && !HeaderRegexp(\`${header}\`, \`${others}\`)`;
}

const compiledPatterns = new Map<string, RegExp>();

/**
 * Whether `headerValues` (one per header line or metadata entry, untrimmed) select `route`, evaluated
 * exactly like the edge rule: `Header(name, N) && !HeaderRegexp(name, otherValuePattern(N))`.
 */
export function routeMatches(
  route: Pick<HeaderRoute, 'match'>,
  headerValues: readonly string[] | undefined,
): boolean {
  if (!headerValues?.includes(route.match.value)) return false;
  let others = compiledPatterns.get(route.match.otherValuePattern);
  if (!others) {
    others = new RegExp(route.match.otherValuePattern);
    compiledPatterns.set(route.match.otherValuePattern, others);
  }
  return !headerValues.some((value) => others.test(value));
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
  for (const route of table.routes) {
    if (route.service === service && routeMatches(route, headerValues)) return route.backend;
  }
  const stable = table.defaults[service];
  if (!stable) throw new Error(`${service} is not a routed service`);
  return stable;
}
