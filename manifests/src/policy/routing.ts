/**
 * Routing: Traefik v3 at the edge, Linkerd GRPCRoutes in the mesh, the PR routes as localdev's
 * route table gives them, production's untrusted edge, and CORS for the browsers that use them.
 */
import { CANARY_HEADER_CANONICAL } from '@pr-canary/contracts/canary-key';
import {
  type CanaryDeployment,
  edgeRule,
  type HeaderRoute,
  type RoutedService,
  routeTable,
  stableBackend as stableBackendOf,
} from '@pr-canary/contracts/route-rule';
import type { Corpus } from '../corpus';
import { ENVIRONMENTS } from '../layout';
import { containers, envOf, type KubeObject, ofKind, ref } from '../objects';
import {
  addressVariable,
  edgeHost,
  edgeServices,
  meshServices,
  nodeServices,
  serviceNamed,
  staticServices,
} from '../services';
import {
  type Check,
  containerEnv,
  edgeOrigins,
  isRoutedService,
  renders,
  selectsPods,
  type Violation,
  violation,
} from './common';

/** Traefik v3 only: traefik.io group, Header() matcher, explicit priorities. */
export const traefikV3: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ objects }) =>
    objects.flatMap((o) => {
      const out: Violation[] = [];
      if (o.apiVersion.startsWith('traefik.containo.us/'))
        out.push(violation(ref(o), 'Traefik v2 API group (removed in v3)'));
      if (o.kind === 'IngressRoute') {
        for (const route of o.spec.routes ?? []) {
          if (/\bHeaders(Regexp)?\(/.test(route.match))
            out.push(violation(ref(o), `v2 matcher in ${route.match}`));
          if (typeof route.priority !== 'number')
            out.push(violation(ref(o), 'route without an explicit priority'));
        }
      }
      return out;
    }),
  );

/**
 * The canaries the PR apps deploy, in the terms of localdev's route table (the route rule written
 * once, shared with the dev router): per PR, the routed services it has a canary of.
 */
export function deployedCanaries(corpus: Corpus): CanaryDeployment[] {
  const byPr = new Map<string, RoutedService[]>();
  for (const p of corpus.prApps) {
    if (isRoutedService(p.kind)) byPr.set(p.number, [...(byPr.get(p.number) ?? []), p.kind]);
  }
  return [...byPr].map(([pr, services]) => ({ pr, services }));
}

/**
 * Pairs each route the table expects with the one object of `kind` the PR app of that service and
 * PR renders. A missing or duplicate object is a problem, and so is a rendered route (in any PR app)
 * for a PR and service the table gives no such route (`route` names the route kind in messages).
 */
function pairWithRendered(
  corpus: Corpus,
  kind: string,
  expected: readonly HeaderRoute[],
  route: string,
): { pairs: { route: HeaderRoute; o: KubeObject }[]; problems: Violation[] } {
  const rendered = corpus.prApps.flatMap((p) => ofKind(p.objects, kind).map((o) => ({ p, o })));
  const pairs: { route: HeaderRoute; o: KubeObject }[] = [];
  const problems: Violation[] = [];
  for (const want of expected) {
    const found = rendered.filter(({ p }) => p.number === want.match.value && p.kind === want.service);
    const [only] = found;
    if (only === undefined || found.length > 1) {
      problems.push(
        violation(
          `PR ${want.match.value}`,
          `needs exactly one ${route} for ${want.service}, found ${found.length}`,
        ),
      );
    } else pairs.push({ route: want, o: only.o });
  }
  const routed = new Set(expected.map((r) => `${r.service}@${r.match.value}`));
  for (const { p, o } of rendered) {
    if (!routed.has(`${p.kind}@${p.number}`)) {
      problems.push(
        violation(
          ref(o),
          `PR ${p.number} has no canary of ${p.kind} routed this way, so the route table has no ${route}`,
        ),
      );
    }
  }
  return { pairs, problems };
}

/**
 * The PR edge routes are exactly the `http` routes the route rule's routeTable gives for the deployed
 * PRs: one IngressRoute per canary of an edge service, in the canary's namespace (Traefik's
 * allowCrossNamespace stays off), with the rule's `edgeRule` — ``Host(`<short>.<domain>`) &&
 * Header(`X-Canary`, `N`) && !HeaderRegexp(`X-Canary`, `<any value but N>`)``, so several values
 * never reach a canary — at the table's canary priority, above every stable route on its entry
 * points, sending to that namespace's Service of the service. A PR edge route the table does not
 * have is reported too, and so is a stable edge service not served at its host.
 */
export const prEdgeRoute: Check = ({ corpus }) => {
  const table = routeTable(deployedCanaries(corpus));
  const stableRoutes: { entryPoints: string[]; priority: number }[] = ofKind(
    corpus.overlays['integration-001'],
    'IngressRoute',
  ).flatMap((o) =>
    (o.spec.routes ?? []).map((r: { priority: number }) => ({
      entryPoints: o.spec.entryPoints as string[],
      priority: r.priority,
    })),
  );
  /** The highest stable priority on any entry point the PR route listens on. */
  const stableMax = (entryPoints: string[]) =>
    Math.max(
      ...stableRoutes
        .filter((r) => r.entryPoints.some((e) => entryPoints.includes(e)))
        .map((r) => r.priority),
    );
  const domain = corpus.config.domains['integration-001'];
  const { pairs, problems: out } = pairWithRendered(
    corpus,
    'IngressRoute',
    table.routes.filter((r) => r.protocol === 'http'),
    'edge route',
  );
  for (const service of edgeServices().filter((s) => s.canary)) {
    const host = edgeHost(service, domain);
    const stableOrigins = edgeOrigins(corpus.overlays['integration-001'], service.name);
    if (!stableOrigins.some((origin) => new URL(origin).host === host)) {
      out.push(
        violation(
          'overlay integration-001',
          `stable ${service.name} is served at ${stableOrigins.join(', ') || 'no host'}, not at ${host}`,
        ),
      );
    }
  }
  for (const { route, o } of pairs) {
    const [rule, ...more] = o.spec.routes ?? [];
    const match = edgeRule(edgeHost(serviceNamed(route.service), domain), route);
    const backend = `Service ${route.backend.namespace}/${route.service}`;
    const backends = (rule?.services ?? []).map(
      (s: { kind?: string; name: string; namespace?: string }) =>
        `${s.kind ?? 'Service'} ${s.namespace ?? o.metadata.namespace}/${s.name}`,
    );
    if (o.metadata.namespace !== route.backend.namespace)
      out.push(violation(ref(o), `PR route outside the canary's namespace ${route.backend.namespace}`));
    if (more.length > 0) out.push(violation(ref(o), 'a PR edge route has exactly one rule'));
    if (rule?.match !== match) out.push(violation(ref(o), `match ${rule?.match} is not ${match}`));
    if (rule?.priority !== route.priority)
      out.push(violation(ref(o), `priority ${rule?.priority} is not the route table's ${route.priority}`));
    const floor = stableMax(o.spec.entryPoints ?? []);
    if (!(rule?.priority > floor))
      out.push(violation(ref(o), `priority ${rule?.priority} must be above stable's ${floor}`));
    if (JSON.stringify(backends) !== JSON.stringify([backend]))
      out.push(violation(ref(o), `sends to ${backends.join(', ') || 'nothing'}, not ${backend}`));
  }
  return out;
};

const serviceFqdn = (name: string, namespace: string, port: number) =>
  `${name}.${namespace}.svc.cluster.local:${port}`;

/** What the callers of `service` dial: every value of its address variable (`STORE_ADDR`, …). */
function dialledAddresses(objects: readonly KubeObject[], service: string): string[] {
  const variable = addressVariable(serviceNamed(service));
  return ofKind(objects, 'Deployment').flatMap((d) =>
    containers(d).flatMap((c) => {
      const value = envOf(c)[variable];
      return value === undefined ? [] : [value];
    }),
  );
}

/**
 * A GRPCRoute's parent must be the Service its callers dial (the `<SHORT>_ADDR` every client reads,
 * e.g. STORE_ADDR), must select pods, and the backend must be the PR's Service on a port it has.
 */
export const grpcRouteTargets: Check = ({ corpus }) => {
  const stable = corpus.overlays['integration-001'];
  const dialled = (service: string) =>
    new Set([
      ...dialledAddresses(stable, service),
      ...corpus.prApps.flatMap((p) => dialledAddresses(p.objects, service)),
    ]);
  const routes = [
    ...ofKind(stable, 'GRPCRoute').map((o) => ({ o, backends: stable })),
    // A PR's mesh route and its backend are rendered by the same Application.
    ...corpus.prApps.flatMap((p) => ofKind(p.objects, 'GRPCRoute').map((o) => ({ o, backends: p.objects }))),
  ];
  if (routes.length === 0) return [violation('overlay integration-001', 'no GRPCRoute at all')];
  return routes.flatMap(({ o, backends }) => {
    const out: Violation[] = [];
    for (const parent of o.spec.parentRefs ?? []) {
      const ns = parent.namespace ?? o.metadata.namespace;
      const svc = stable.find(
        (s) => s.kind === 'Service' && s.metadata.name === parent.name && s.metadata.namespace === ns,
      );
      if (parent.kind !== 'Service' || parent.group !== 'core' || svc === undefined) {
        out.push(violation(ref(o), `parent ${parent.kind} ${ns}/${parent.name} is not a stable Service`));
        continue;
      }
      if (!selectsPods(svc, stable))
        out.push(violation(ref(o), `parent Service ${parent.name} selects no pods`));
      const addr = serviceFqdn(parent.name, ns, parent.port);
      const variable = addressVariable(serviceNamed(parent.name));
      for (const d of dialled(parent.name)) {
        if (d !== addr)
          out.push(
            violation(ref(o), `callers dial ${d} (${variable}), but the route is attached to ${addr}`),
          );
      }
    }
    for (const rule of o.spec.rules ?? []) {
      for (const backend of rule.backendRefs ?? []) {
        const ns = backend.namespace ?? o.metadata.namespace;
        const svc = backends.find(
          (s) => s.kind === 'Service' && s.metadata.name === backend.name && s.metadata.namespace === ns,
        );
        if (
          svc === undefined ||
          !svc.spec.ports.some((port: { port: number }) => port.port === backend.port)
        ) {
          out.push(violation(ref(o), `backend ${ns}/${backend.name}:${backend.port} is not a Service port`));
        } else if (!selectsPods(svc, backends))
          out.push(violation(ref(o), `backend ${ns}/${backend.name} selects no pods`));
      }
    }
    return out;
  });
};

const backendsOf = (route: KubeObject, rule: { backendRefs?: { name: string; namespace?: string }[] }) =>
  (rule.backendRefs ?? []).map((b) => `${b.namespace ?? route.metadata.namespace}/${b.name}`);

/**
 * The mesh routes are exactly the `grpc` routes (and the defaults) the route rule's routeTable gives
 * for the deployed PRs: per canary of a mesh service one GRPCRoute in the stable namespace (a
 * producer route, so it applies to every client) with the exact x-canary match → the service in the
 * canary's namespace, which grants the reference (ReferenceGrant); plus, per mesh service, the
 * catch-all to stable, without which Linkerd answers NOT_FOUND to every call without a key once a PR
 * route is attached. A PR mesh route the table does not have is reported too.
 */
export const prMeshRoute: Check = ({ corpus }) => {
  const table = routeTable(deployedCanaries(corpus));
  const out: Violation[] = [];
  for (const service of meshServices()) {
    const stableBackend = stableBackendOf(service.name);
    const catchAll = ofKind(corpus.overlays['integration-001'], 'GRPCRoute').some(
      (o) =>
        o.metadata.namespace === stableBackend.namespace &&
        (o.spec.rules ?? []).some(
          (rule: { matches?: unknown[]; backendRefs?: { name: string; namespace?: string }[] }) =>
            (rule.matches ?? []).length === 0 &&
            JSON.stringify(backendsOf(o, rule)) ===
              JSON.stringify([`${stableBackend.namespace}/${stableBackend.service}`]),
        ),
    );
    if (!catchAll) {
      out.push(
        violation(
          'overlay integration-001',
          `no catch-all GRPCRoute to ${stableBackend.namespace}/${stableBackend.service}: Linkerd answers NOT_FOUND to unmatched calls`,
        ),
      );
    }
  }
  const { pairs, problems } = pairWithRendered(
    corpus,
    'GRPCRoute',
    table.routes.filter((r) => r.protocol === 'grpc'),
    'mesh route',
  );
  out.push(...problems);
  for (const { route, o } of pairs) {
    const stableBackend = stableBackendOf(route.service);
    const [rule, ...more] = o.spec.rules ?? [];
    const want = { type: route.match.type, name: route.match.header, value: route.match.value };
    if (o.metadata.namespace !== stableBackend.namespace)
      out.push(violation(ref(o), `must live in ${stableBackend.namespace} (producer route)`));
    if (more.length > 0 || (rule?.matches ?? []).length !== 1)
      out.push(violation(ref(o), 'a PR mesh route has exactly one rule with one match'));
    const [header, ...otherHeaders] = rule?.matches?.[0]?.headers ?? [];
    const exact = otherHeaders.length === 0 && header?.type === want.type;
    if (!exact || header?.name !== want.name || header?.value !== want.value)
      out.push(violation(ref(o), `match must be ${want.type} ${want.name} "${want.value}"`));
    const backend = `${route.backend.namespace}/${route.service}`;
    if (JSON.stringify(backendsOf(o, rule ?? {})) !== JSON.stringify([backend]))
      out.push(violation(ref(o), `backend must be ${backend}`));
    const owner = corpus.prApps.find((s) => s.kind === route.service && s.number === route.match.value);
    const grant = owner?.objects.find(
      (g) =>
        g.kind === 'ReferenceGrant' &&
        g.metadata.namespace === route.backend.namespace &&
        g.spec.from.some(
          (f: { kind: string; namespace: string }) =>
            f.kind === 'GRPCRoute' && f.namespace === o.metadata.namespace,
        ) &&
        g.spec.to.some((t: { kind: string; group: string }) => t.kind === 'Service' && t.group === ''),
    );
    if (grant === undefined) {
      out.push(
        violation(
          `Application ${owner?.app.metadata.name ?? `${route.service}-pr-${route.match.value}`}`,
          `no ReferenceGrant in ${route.backend.namespace} for GRPCRoutes from ${o.metadata.namespace}`,
        ),
      );
    }
  }
  return out;
};

/** `appProtocol: grpc` makes Linkerd treat the port as opaque TCP: no per-request routing. */
export const grpcAppProtocol: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ objects }) =>
    ofKind(objects, 'Service').flatMap((svc) =>
      (svc.spec.ports ?? [])
        .filter(
          (p: { appProtocol?: string }) =>
            p.appProtocol !== undefined && p.appProtocol !== 'kubernetes.io/h2c',
        )
        .map((p: { name: string; appProtocol: string }) =>
          violation(ref(svc), `port ${p.name} appProtocol ${p.appProtocol}`),
        ),
    ),
  );

/** Flagger's HTTPRoutes are ignored on a port that has a GRPCRoute: never both on one Service. */
export const flaggerMeshConflict: Check = ({ corpus }) =>
  ENVIRONMENTS.flatMap((env) => {
    const objects = corpus.overlays[env];
    const grpcParents = new Set(
      ofKind(objects, 'GRPCRoute').flatMap((r) => r.spec.parentRefs.map((p: { name: string }) => p.name)),
    );
    return ofKind(objects, 'Canary').flatMap((c) =>
      (c.spec.service?.gatewayRefs ?? [])
        .filter((g: { kind?: string; name: string }) => g.kind === 'Service' && grpcParents.has(g.name))
        .map((g: { name: string }) =>
          violation(ref(c), `Flagger's HTTPRoute on ${g.name} is ignored: a GRPCRoute is attached (${env})`),
        ),
    );
  });

/**
 * Production does not trust the edge: every edge service's route strips X-Canary and no Node
 * service trusts the header.
 */
export const productionStripsCanaryHeader: Check = ({ corpus }) => {
  const objects = corpus.overlays.production;
  const out: Violation[] = [];
  const stripping = new Set(
    ofKind(objects, 'Middleware')
      .filter((m) => m.spec.headers?.customRequestHeaders?.[CANARY_HEADER_CANONICAL] === '')
      .map((m) => m.metadata.name),
  );
  for (const { name } of edgeServices()) {
    const route = objects.find((o) => o.kind === 'IngressRoute' && o.metadata.name === name);
    if (route === undefined) out.push(violation('overlay production', `no IngressRoute ${name}`));
    for (const rule of route?.spec.routes ?? []) {
      if (!(rule.middlewares ?? []).some((m: { name: string }) => stripping.has(m.name))) {
        out.push(violation(ref(route as KubeObject), `route ${rule.match} does not strip X-Canary`));
      }
    }
  }
  for (const { name: service } of nodeServices()) {
    for (const { o, env } of containerEnv(objects, service)) {
      if (env.CANARY_HEADER_TRUSTED !== 'false')
        out.push(violation(ref(o), 'CANARY_HEADER_TRUSTED must be false in production'));
    }
  }
  return out;
};

const hostsOf = (match: string) => [...match.matchAll(/Host\(`([^`]+)`\)/g)].map((m) => m[1] ?? '');

/** Where an ACME HTTP-01 challenge is fetched (plain HTTP, port 80: Traefik's `web` entry point). */
const ACME_CHALLENGE_PATH = '/.well-known/acme-challenge/';

/**
 * The lowest priority Traefik can give the router of cert-manager's HTTP-01 solver Ingress for `host`:
 * the solver sets none, so it is the length of its rule, `Host(host) && PathPrefix(challenge path +
 * token)`, at least this long without the token.
 */
const solverPriority = (host: string) => `Host(\`${host}\`) && PathPrefix(\`${ACME_CHALLENGE_PATH}\`)`.length;

/** Whether a route is on the plain-HTTP `web` entry point (an IngressRoute without entryPoints is on all). */
const onPlainHttp = (o: KubeObject) => o.spec.entryPoints === undefined || o.spec.entryPoints.includes('web');

/**
 * Every host served over TLS has a certificate: one whose secret the route names, or, for a route
 * with `tls: {}` (the PR routes), any certificate of its environment, which Traefik picks by SNI.
 * And the certificate can be issued and renewed over HTTP-01: no plain-HTTP route for one of its hosts
 * (the https redirect) outranks the solver's route, so the challenge is not redirected to a service
 * that answers 404 for it.
 */
export const edgeCertificates: Check = ({ corpus }) => {
  const challengesTaken = (
    where: string,
    routes: readonly KubeObject[],
    certificates: readonly KubeObject[],
  ) => {
    const certified = new Set(certificates.flatMap((c) => c.spec.dnsNames ?? []));
    return routes
      .filter((o) => o.kind === 'IngressRoute' && onPlainHttp(o))
      .flatMap((o) =>
        (o.spec.routes ?? []).flatMap((rule: { match: string; priority?: number }) =>
          hostsOf(rule.match)
            .filter(
              (host) =>
                certified.has(host) &&
                !(typeof rule.priority === 'number' && rule.priority < solverPriority(host)),
            )
            .map((host) =>
              violation(
                ref(o),
                `plain-HTTP route for ${host} at priority ${rule.priority ?? '(rule length)'} outranks cert-manager's HTTP-01 solver (${solverPriority(host)} or more): ${ACME_CHALLENGE_PATH} never reaches it (${where})`,
              ),
            ),
        ),
      );
  };
  const uncovered = (where: string, routes: readonly KubeObject[], certificates: readonly KubeObject[]) =>
    routes
      .filter((o) => o.kind === 'IngressRoute' && o.spec.tls !== undefined)
      .flatMap((o) => {
        const secret = o.spec.tls.secretName;
        const pool = certificates.filter((c) => secret === undefined || c.spec.secretName === secret);
        return (o.spec.routes ?? []).flatMap((rule: { match: string }) =>
          hostsOf(rule.match)
            .filter((host) => !pool.some((c) => (c.spec.dnsNames ?? []).includes(host)))
            .map((host) => violation(ref(o), `no Certificate covers ${host} (${where})`)),
        );
      });
  const certificatesOf = (env: (typeof ENVIRONMENTS)[number]) => ofKind(corpus.overlays[env], 'Certificate');
  return [
    ...ENVIRONMENTS.flatMap((env) => uncovered(`overlay ${env}`, corpus.overlays[env], certificatesOf(env))),
    ...ENVIRONMENTS.flatMap((env) =>
      challengesTaken(`overlay ${env}`, corpus.overlays[env], certificatesOf(env)),
    ),
    ...corpus.prApps.flatMap((p) =>
      uncovered(`Application ${p.app.metadata.name}`, p.objects, certificatesOf('integration-001')),
    ),
  ];
};

/**
 * Browsers reach the edge services the web UI talks to (those whose config reads
 * CORS_ALLOWED_ORIGINS): each environment's allows the origins of the static bundles (the web UI),
 * and every PR canary of them answers CORS exactly like stable integration-001 — the browser
 * extension's X-Canary rides on preflights too (declarativeNetRequest modifies OPTIONS requests), so
 * they land on the canary, whose edge route must not restrict methods either.
 */
export const corsOrigins: Check = ({ corpus, env: contracts }) => {
  const out: Violation[] = [];
  const apis = edgeServices().filter((s) => contracts[s.name]?.names.has('CORS_ALLOWED_ORIGINS'));
  for (const api of apis) {
    for (const env of ENVIRONMENTS) {
      const objects = corpus.overlays[env];
      for (const { o, env: values } of containerEnv(objects, api.name)) {
        const allowed = (values.CORS_ALLOWED_ORIGINS ?? '').split(',').map((v) => v.trim());
        const uiOrigins = staticServices().flatMap((ui) => edgeOrigins(objects, ui.name));
        for (const origin of uiOrigins.filter((w) => !allowed.includes(w))) {
          out.push(violation(ref(o), `CORS_ALLOWED_ORIGINS does not allow the web UI at ${origin} (${env})`));
        }
      }
    }
    const stable = containerEnv(corpus.overlays['integration-001'], api.name)[0]?.env.CORS_ALLOWED_ORIGINS;
    for (const p of corpus.prApps.filter((a) => a.kind === api.name)) {
      for (const { o, env } of containerEnv(p.objects, api.name)) {
        if (env.CORS_ALLOWED_ORIGINS !== stable) {
          out.push(
            violation(
              ref(o),
              `CORS_ALLOWED_ORIGINS ${env.CORS_ALLOWED_ORIGINS ?? '(unset)'} differs from stable integration-001's ${stable}: preflights carrying X-Canary land on this canary`,
            ),
          );
        }
      }
      for (const route of ofKind(p.objects, 'IngressRoute')) {
        for (const rule of route.spec.routes ?? []) {
          if (/\bMethod\(/.test(rule.match))
            out.push(
              violation(
                ref(route),
                `${rule.match} restricts methods: CORS preflights (OPTIONS) must reach the canary`,
              ),
            );
        }
      }
    }
  }
  return out;
};
