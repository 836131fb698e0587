/**
 * Policy checks over the rendered corpus. Each guards against one mistake found in public
 * write-ups of this pattern and returns the violations it finds ([] when clean); the tests run
 * each against the real manifests and against a deliberately broken copy.
 */
import {
  type CanaryDeployment,
  canaryNamespace,
  type HeaderRoute,
  ROUTED_SERVICES,
  type RoutedService,
  routeTable,
} from '@pr-canary/localdev/route-table';
import { ITEMS_SERVICE_NAME } from '@pr-canary/proto';
import { type Application, ARGO_KUSTOMIZE_OPTIONS } from './argocd';
import type { Corpus, PrApp } from './corpus';
import type { ImageFacts, ImageService } from './image-facts';
import { ENVIRONMENTS } from './layout';
import {
  type Container,
  containers,
  envOf,
  type KubeObject,
  labelsMatch,
  ofKind,
  podTemplate,
  ref,
} from './objects';
import type { ServiceEnvContract, ServiceName } from './service-config';

export interface Violation {
  subject: string;
  message: string;
}

export interface CheckContext {
  corpus: Corpus;
  env: Record<ServiceName, ServiceEnvContract>;
  /** Metric name → label names, from canary-context's METRIC_DEFINITIONS. */
  metrics: ReadonlyMap<string, readonly string[]>;
  /** What each image's Dockerfile says (uid, ports, nginx listens, writable paths). */
  images: Record<ImageService, ImageFacts>;
}

export type Check = (ctx: CheckContext) => Violation[];

const violation = (subject: string, message: string): Violation => ({ subject, message });

/** Every rendered set that gets applied somewhere, with a label saying which. */
function renders(corpus: Corpus): { where: string; objects: KubeObject[] }[] {
  return [
    ...ENVIRONMENTS.map((env) => ({ where: `overlay ${env}`, objects: corpus.overlays[env] })),
    ...corpus.prApps.map((p) => ({ where: `Application ${p.app.metadata.name}`, objects: p.objects })),
  ];
}

/** Application sources: plain Applications and ApplicationSet templates (unrendered). */
function applicationSources(corpus: Corpus): { subject: string; spec: Application['spec']; isPr: boolean }[] {
  return corpus.argo.flatMap((o) => {
    if (o.kind === 'Application') return [{ subject: ref(o), spec: o.spec, isPr: false }];
    if (o.kind === 'ApplicationSet') {
      const isPr = (o.spec.generators ?? []).some((g: Record<string, unknown>) => 'pullRequest' in g);
      return [{ subject: ref(o), spec: o.spec.template.spec, isPr }];
    }
    return [];
  });
}

const pullRequestGenerators = (o: KubeObject) =>
  (o.spec?.generators ?? []).flatMap((g: { pullRequest?: unknown }) =>
    g.pullRequest ? [g.pullRequest] : [],
  );

// ── Argo CD ────────────────────────────────────────────────────────────────────────────────────

/** Wrong or truncated repo: every source, generator and project names the one canonical repo. */
export const repoUrl: Check = ({ corpus }) => {
  const { repoURL, github } = corpus.config;
  const out: Violation[] = [];
  for (const { subject, spec } of applicationSources(corpus)) {
    if (spec.source.repoURL !== repoURL)
      out.push(violation(subject, `repoURL ${spec.source.repoURL} is not ${repoURL}`));
  }
  for (const o of corpus.argo) {
    for (const pr of pullRequestGenerators(o)) {
      if (pr.github?.owner !== github.owner || pr.github?.repo !== github.repo) {
        out.push(
          violation(
            ref(o),
            `pull request generator watches ${pr.github?.owner}/${pr.github?.repo}, not ${github.owner}/${github.repo}`,
          ),
        );
      }
    }
    if (o.kind === 'AppProject' && JSON.stringify(o.spec.sourceRepos) !== JSON.stringify([repoURL])) {
      out.push(violation(ref(o), `sourceRepos must be exactly [${repoURL}]`));
    }
  }
  return out;
};

/** Only the Kustomize options Argo CD has (there is no `resources`, for one). */
export const argoKustomizeOptions: Check = ({ corpus }) =>
  applicationSources(corpus).flatMap(({ subject, spec }) =>
    Object.keys(spec.source.kustomize ?? {})
      .filter((key) => !(ARGO_KUSTOMIZE_OPTIONS as readonly string[]).includes(key))
      .map((key) => violation(subject, `Argo CD has no Kustomize option "${key}"`)),
  );

/**
 * A revision means something only in its own repo: PR apps build the PR's head commit of the repo
 * their generator watches (this one); everything else follows the configured branch.
 */
export const targetRevision: Check = ({ corpus }) =>
  applicationSources(corpus).flatMap(({ subject, spec, isPr }) => {
    const expected = isPr ? '{{.head_sha}}' : corpus.config.targetRevision;
    return spec.source.targetRevision === expected
      ? []
      : [violation(subject, `targetRevision ${spec.source.targetRevision} should be ${expected}`)];
  });

/** Staging and production sync themselves: automated prune and self-heal, finalizer for cascade. */
export const automatedSync: Check = ({ corpus }) =>
  applicationSources(corpus).flatMap(({ subject, spec }) => {
    const automated = spec.syncPolicy?.automated;
    const out: Violation[] = [];
    if (automated?.prune !== true || automated?.selfHeal !== true) {
      out.push(violation(subject, 'syncPolicy.automated must set prune and selfHeal'));
    }
    if ((spec.syncPolicy?.syncOptions ?? []).includes('CreateNamespace=true')) {
      out.push(
        violation(
          subject,
          'CreateNamespace=true namespaces are never deleted (argo-cd#7875); render a Namespace',
        ),
      );
    }
    return out;
  });

/** Flagger scales the Deployments it manages; Argo CD must not put the replicas back. */
export const flaggerOwnedFields: Check = ({ corpus }) => {
  const appSet = corpus.argo.find(
    (o) => o.kind === 'ApplicationSet' && o.metadata.name === 'pr-canary-production',
  );
  if (appSet === undefined) return [violation('ApplicationSet pr-canary-production', 'missing')];
  const spec = appSet.spec.template.spec;
  const ignoresReplicas = (spec.ignoreDifferences ?? []).some(
    (d: { group?: string; kind?: string; jsonPointers?: string[] }) =>
      d.group === 'apps' && d.kind === 'Deployment' && (d.jsonPointers ?? []).includes('/spec/replicas'),
  );
  const out: Violation[] = [];
  if (!ignoresReplicas)
    out.push(violation(ref(appSet), 'must ignore Deployment /spec/replicas (Flagger owns it)'));
  if (!(spec.syncPolicy?.syncOptions ?? []).includes('RespectIgnoreDifferences=true')) {
    out.push(
      violation(
        ref(appSet),
        'needs RespectIgnoreDifferences=true or sync still overwrites the ignored fields',
      ),
    );
  }
  return out;
};

// ── PR canaries ────────────────────────────────────────────────────────────────────────────────

const isRoutedService = (kind: string): kind is RoutedService =>
  (ROUTED_SERVICES as readonly string[]).includes(kind);

/** A PR app owns its namespace, and that namespace has quota, limits and default-deny policies. */
export const prNamespaceGuardrails: Check = ({ corpus }) =>
  corpus.prApps.flatMap((p) => {
    if (!isRoutedService(p.kind)) return [];
    const ns = canaryNamespace(p.kind, p.number);
    const subject = `Application ${p.app.metadata.name}`;
    const inNs = p.objects.filter((o) => o.metadata.namespace === ns);
    const out: Violation[] = [];
    if (p.app.spec.destination.namespace !== ns)
      out.push(violation(subject, `destination namespace should be ${ns}`));
    if (!p.objects.some((o) => o.kind === 'Namespace' && o.metadata.name === ns)) {
      out.push(violation(subject, `does not own its Namespace ${ns} (closing the PR would leave it behind)`));
    }
    if (ofKind(inNs, 'ResourceQuota').length === 0) out.push(violation(subject, `no ResourceQuota in ${ns}`));
    if (ofKind(inNs, 'LimitRange').length === 0) out.push(violation(subject, `no LimitRange in ${ns}`));
    const denyAll = ofKind(inNs, 'NetworkPolicy').some(
      (np) =>
        Object.keys(np.spec.podSelector?.matchLabels ?? {}).every((k) => k === 'pr-canary.dev/pr') &&
        ['Ingress', 'Egress'].every((t) => (np.spec.policyTypes ?? []).includes(t)) &&
        np.spec.ingress === undefined &&
        np.spec.egress === undefined,
    );
    if (!denyAll) out.push(violation(subject, `no default-deny (ingress and egress) NetworkPolicy in ${ns}`));
    return out;
  });

const prTag = (p: PrApp) => `pr-${p.number}-${p.params.head_short_sha}`;

/** Every push rolls out: our images in PR apps carry the immutable pr-<N>-<head_short_sha> tag. */
export const immutablePrImages: Check = ({ corpus }) =>
  corpus.prApps.flatMap((p) =>
    p.objects.flatMap((o) =>
      containers(o)
        .filter((c) => c.image.startsWith(`${corpus.config.imageRegistry}/`))
        .filter((c) => !c.image.endsWith(`:${prTag(p)}`))
        .map((c) => violation(ref(o), `image ${c.image} is not the immutable ${prTag(p)} tag`)),
    ),
  );

/** A PR app never writes into the stable namespace under a stable object's name. */
export const prIsolation: Check = ({ corpus }) => {
  const stable = corpus.overlays['integration-001'];
  const stableIds = new Set(stable.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`));
  return corpus.prApps.flatMap((p) =>
    p.objects
      .filter((o) => o.metadata.namespace === corpus.config.stableNamespace)
      .flatMap((o) => {
        const out: Violation[] = [];
        if (stableIds.has(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)) {
          out.push(violation(ref(o), `PR app ${p.app.metadata.name} would take over the stable ${o.kind}`));
        }
        if (!o.metadata.name.endsWith(`-pr-${p.number}`)) {
          out.push(
            violation(
              ref(o),
              `objects a PR app puts in ${o.metadata.namespace} must be named *-pr-${p.number}`,
            ),
          );
        }
        return out;
      }),
  );
};

const containerEnv = (objects: readonly KubeObject[], deployment: string, container = deployment) =>
  objects
    .filter((o) => o.kind === 'Deployment' && o.metadata.name === deployment)
    .flatMap((o) =>
      containers(o)
        .filter((c) => c.name === container)
        .map((c) => ({ o, env: envOf(c) })),
    );

/** A canary never shares the stable data: its own table, named for its PR. */
export const separateTables: Check = ({ corpus }) => {
  const stableTables = new Set(
    ENVIRONMENTS.flatMap((env) =>
      containerEnv(corpus.overlays[env], 'store-service').map((e) => e.env.DYNAMODB_TABLE),
    ),
  );
  return corpus.prApps
    .filter((p) => p.kind === 'store-service')
    .flatMap((p) =>
      containerEnv(p.objects, 'store-service').flatMap(({ o, env }) => {
        const table = env.DYNAMODB_TABLE;
        if (table === undefined) return [violation(ref(o), 'no DYNAMODB_TABLE')];
        if (stableTables.has(table)) return [violation(ref(o), `canary shares the stable table ${table}`)];
        if (!table.endsWith(`-pr-${p.number}`))
          return [violation(ref(o), `table ${table} is not this PR's own`)];
        const cleanup = corpus.prApps.find((r) => r.kind === 'store-route' && r.number === p.number);
        const cleanupJob = cleanup?.objects.find(
          (j) => j.kind === 'Job' && j.metadata.annotations?.['argocd.argoproj.io/hook'] === 'PostDelete',
        );
        const cleaned = cleanupJob && containers(cleanupJob).some((c) => envOf(c).TABLE_NAME === table);
        return cleaned
          ? []
          : [violation(ref(o), `no PostDelete cleanup deletes ${table} when the PR closes`)];
      }),
    );
};

/** PostDelete hooks run in a namespace that outlives the app (argo-cd#24924). */
export const hookNamespace: Check = ({ corpus }) =>
  corpus.prApps.flatMap((p) =>
    p.objects
      .filter((o) => o.metadata.annotations?.['argocd.argoproj.io/hook'] === 'PostDelete')
      .filter(
        (o) =>
          /-canary-pr-[0-9]+$/.test(o.metadata.namespace ?? '') ||
          p.objects.some((n) => n.kind === 'Namespace' && n.metadata.name === o.metadata.namespace),
      )
      .map((o) => violation(ref(o), 'PostDelete hook runs in a namespace deleted with the PR')),
  );

// ── routing ────────────────────────────────────────────────────────────────────────────────────

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

const hostOf = (match: string | undefined) => /Host\(`([^`]+)`\)/.exec(match ?? '')?.[1];

/** `https://host` / `http://host` for each route sending to `service` (websecure means TLS). */
function edgeOrigins(objects: readonly KubeObject[], service: string): string[] {
  return ofKind(objects, 'IngressRoute').flatMap((o) => {
    const scheme = (o.spec.entryPoints ?? []).includes('websecure') ? 'https' : 'http';
    return (o.spec.routes ?? [])
      .filter((r: { services?: { name: string }[] }) => (r.services ?? []).some((s) => s.name === service))
      .flatMap((r: { match: string }) => {
        const host = hostOf(r.match);
        return host === undefined ? [] : [`${scheme}://${host}`];
      });
  });
}

/**
 * Pairs each route the table expects with the one object of `kind` the PR apps render for that PR.
 * A missing or duplicate object is a problem, and so is a rendered route for a PR the table gives
 * no such route (`what` names the route kind in messages).
 */
function pairWithRendered(
  corpus: Corpus,
  kind: string,
  expected: readonly HeaderRoute[],
  what: { route: string; canary: string },
): { pairs: { route: HeaderRoute; o: KubeObject }[]; problems: Violation[] } {
  const rendered = corpus.prApps.flatMap((p) => ofKind(p.objects, kind).map((o) => ({ p, o })));
  const pairs: { route: HeaderRoute; o: KubeObject }[] = [];
  const problems: Violation[] = [];
  for (const route of expected) {
    const found = rendered.filter(({ p }) => p.number === route.match.value);
    const [only] = found;
    if (only === undefined || found.length > 1) {
      problems.push(
        violation(`PR ${route.match.value}`, `needs exactly one ${what.route}, found ${found.length}`),
      );
    } else pairs.push({ route, o: only.o });
  }
  const routed = new Set(expected.map((r) => r.match.value));
  for (const { p, o } of rendered) {
    if (!routed.has(p.number)) {
      problems.push(
        violation(ref(o), `PR ${p.number} has no ${what.canary}, so the route table has no ${what.route}`),
      );
    }
  }
  return { pairs, problems };
}

/**
 * The PR edge routes are exactly the `http` routes localdev's routeTable gives for the deployed PRs:
 * one IngressRoute per api canary, in the canary's namespace (Traefik's allowCrossNamespace stays
 * off), ``Host(`api.<domain>`) && Header(`X-Canary`, `N`)`` at the table's canary priority, above
 * every stable route on its entry points, sending to that namespace's api-service. A PR edge route
 * the table does not have is reported too.
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
  const host = `api.${corpus.config.domains['integration-001']}`;
  const { pairs, problems: out } = pairWithRendered(
    corpus,
    'IngressRoute',
    table.routes.filter((r) => r.protocol === 'http'),
    { route: 'edge route', canary: 'api canary' },
  );
  for (const { route, o } of pairs) {
    const [rule, ...more] = o.spec.routes ?? [];
    const match = `Host(\`${host}\`) && Header(\`${route.match.header}\`, \`${route.match.value}\`)`;
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

/**
 * The GRPCRoute parent must be the Service api-service dials (STORE_ADDR), must select store pods,
 * and the backend must be the PR's store Service on a port it has.
 */
export const grpcRouteTargets: Check = ({ corpus }) => {
  const stable = corpus.overlays['integration-001'];
  const dialled = new Set([
    ...containerEnv(stable, 'api-service').map((e) => e.env.STORE_ADDR),
    ...corpus.prApps.flatMap((p) => containerEnv(p.objects, 'api-service').map((e) => e.env.STORE_ADDR)),
  ]);
  const routes = [
    ...ofKind(stable, 'GRPCRoute').map((o) => ({ o, backends: stable })),
    ...corpus.prApps.flatMap((p) =>
      ofKind(p.objects, 'GRPCRoute').map((o) => ({
        o,
        backends:
          corpus.prApps.find((s) => s.kind === 'store-service' && s.number === p.number)?.objects ?? [],
      })),
    ),
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
      for (const d of dialled) {
        if (d !== addr)
          out.push(violation(ref(o), `api-service dials ${d}, but the route is attached to ${addr}`));
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
 * The mesh routes are exactly the `grpc` routes (and the default) localdev's routeTable gives for the
 * deployed PRs: per store canary one GRPCRoute in the stable namespace (a producer route, so it
 * applies to every client) with the exact x-canary match → store-service in the canary's namespace,
 * which grants the reference (ReferenceGrant); plus the catch-all to stable, without which Linkerd
 * answers NOT_FOUND to every call without a key once a PR route is attached. A PR mesh route the
 * table does not have is reported too.
 */
export const prMeshRoute: Check = ({ corpus }) => {
  const table = routeTable(deployedCanaries(corpus));
  const stableBackend = table.defaults['store-service'];
  const out: Violation[] = [];
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
  const { pairs, problems } = pairWithRendered(
    corpus,
    'GRPCRoute',
    table.routes.filter((r) => r.protocol === 'grpc'),
    { route: 'mesh route', canary: 'store canary' },
  );
  out.push(...problems);
  for (const { route, o } of pairs) {
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
    const store = corpus.prApps.find((s) => s.kind === 'store-service' && s.number === route.match.value);
    const grant = store?.objects.find(
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
          `Application ${store?.app.metadata.name ?? `store-service-pr-${route.match.value}`}`,
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

/** Production does not trust the edge: X-Canary is stripped and the services ignore it. */
export const productionStripsCanaryHeader: Check = ({ corpus }) => {
  const objects = corpus.overlays.production;
  const out: Violation[] = [];
  const stripping = new Set(
    ofKind(objects, 'Middleware')
      .filter((m) => m.spec.headers?.customRequestHeaders?.['X-Canary'] === '')
      .map((m) => m.metadata.name),
  );
  const api = objects.find((o) => o.kind === 'IngressRoute' && o.metadata.name === 'api-service');
  if (api === undefined) out.push(violation('overlay production', 'no IngressRoute api-service'));
  for (const route of api?.spec.routes ?? []) {
    if (!(route.middlewares ?? []).some((m: { name: string }) => stripping.has(m.name))) {
      out.push(violation(ref(api as KubeObject), `route ${route.match} does not strip X-Canary`));
    }
  }
  for (const service of ['api-service', 'store-service']) {
    for (const { o, env } of containerEnv(objects, service)) {
      if (env.CANARY_HEADER_TRUSTED !== 'false')
        out.push(violation(ref(o), 'CANARY_HEADER_TRUSTED must be false in production'));
    }
  }
  return out;
};

/**
 * Browsers reach the api the web UI talks to: each environment's api allows the web UI's origin,
 * and every PR api canary answers CORS exactly like stable integration-001 — the browser
 * extension's X-Canary rides on preflights too (declarativeNetRequest modifies OPTIONS requests), so
 * they land on the canary, whose edge route must not restrict methods either.
 */
export const corsOrigins: Check = ({ corpus }) => {
  const out: Violation[] = [];
  for (const env of ENVIRONMENTS) {
    const objects = corpus.overlays[env];
    for (const { o, env: values } of containerEnv(objects, 'api-service')) {
      const allowed = (values.CORS_ALLOWED_ORIGINS ?? '').split(',').map((v) => v.trim());
      for (const origin of edgeOrigins(objects, 'web').filter((w) => !allowed.includes(w))) {
        out.push(violation(ref(o), `CORS_ALLOWED_ORIGINS does not allow the web UI at ${origin} (${env})`));
      }
    }
  }
  const stable = containerEnv(corpus.overlays['integration-001'], 'api-service')[0]?.env.CORS_ALLOWED_ORIGINS;
  for (const p of corpus.prApps.filter((a) => a.kind === 'api-service')) {
    for (const { o, env } of containerEnv(p.objects, 'api-service')) {
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
  return out;
};

// ── workloads ──────────────────────────────────────────────────────────────────────────────────

function selectsPods(selectorOwner: KubeObject, objects: readonly KubeObject[]): boolean {
  const selector = selectorOwner.spec.selector?.matchLabels ?? selectorOwner.spec.selector;
  return objects.some(
    (w) =>
      w.metadata.namespace === selectorOwner.metadata.namespace &&
      labelsMatch(selector, podTemplate(w)?.metadata?.labels),
  );
}

/** Selectors match pod labels: Deployment selector vs its template, Services and PDBs vs some pods. */
export const selectorsMatch: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ where, objects }) =>
    objects.flatMap((o) => {
      if (
        o.kind === 'Deployment' &&
        !labelsMatch(o.spec.selector.matchLabels, o.spec.template.metadata?.labels)
      ) {
        return [violation(ref(o), `selector does not match its pod template (${where})`)];
      }
      if ((o.kind === 'Service' || o.kind === 'PodDisruptionBudget') && !selectsPods(o, objects)) {
        return [violation(ref(o), `selector matches no pods (${where})`)];
      }
      return [];
    }),
  );

const exists = (objects: readonly KubeObject[], kind: string, name: string, namespace?: string) =>
  objects.some((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);

/** Names that point at other objects point at objects that exist in the same render. */
export const references: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ where, objects }) =>
    objects.flatMap((o) => {
      const ns = o.metadata.namespace;
      const missing = (what: string) => violation(ref(o), `${what} does not exist (${where})`);
      switch (o.kind) {
        case 'HorizontalPodAutoscaler':
          return exists(objects, o.spec.scaleTargetRef.kind, o.spec.scaleTargetRef.name, ns)
            ? []
            : [missing(`scale target ${o.spec.scaleTargetRef.kind} ${o.spec.scaleTargetRef.name}`)];
        case 'ServiceMonitor': {
          const port = o.spec.endpoints?.[0]?.port;
          const found = ofKind(objects, 'Service').some(
            (s) =>
              s.metadata.namespace === ns &&
              labelsMatch(o.spec.selector.matchLabels, s.metadata.labels) &&
              s.spec.ports.some((p: { name: string }) => p.name === port),
          );
          return found ? [] : [missing(`a Service with its labels and a port named ${port}`)];
        }
        case 'Canary': {
          const out: Violation[] = [];
          const { targetRef, autoscalerRef } = o.spec;
          if (!exists(objects, targetRef.kind, targetRef.name, ns))
            out.push(missing(`target ${targetRef.name}`));
          if (autoscalerRef && !exists(objects, autoscalerRef.kind, autoscalerRef.name, ns)) {
            out.push(missing(`autoscaler ${autoscalerRef.name}`));
          }
          for (const m of o.spec.analysis.metrics ?? []) {
            if (
              m.templateRef &&
              !exists(objects, 'MetricTemplate', m.templateRef.name, m.templateRef.namespace ?? ns)
            ) {
              out.push(missing(`MetricTemplate ${m.templateRef.name}`));
            }
          }
          return out;
        }
        case 'IngressRoute':
          return (o.spec.routes ?? []).flatMap(
            (route: { services?: { kind?: string; name: string }[]; middlewares?: { name: string }[] }) => [
              ...(route.services ?? [])
                .filter((s) => !routeBackendExists(objects, s, ns))
                .map((s) => missing(`${s.kind ?? 'Service'} ${s.name}`)),
              ...(route.middlewares ?? [])
                .filter((m) => !exists(objects, 'Middleware', m.name, ns))
                .map((m) => missing(`Middleware ${m.name}`)),
            ],
          );
        default:
          return [];
      }
    }),
  );

function routeBackendExists(
  objects: readonly KubeObject[],
  s: { kind?: string; name: string },
  ns?: string,
): boolean {
  if ((s.kind ?? 'Service') === 'Service') return exists(objects, 'Service', s.name, ns);
  if (s.name.endsWith('@internal')) return true;
  // Flagger writes a TraefikService named after each Canary with the traefik provider.
  return (
    exists(objects, 'TraefikService', s.name, ns) ||
    ofKind(objects, 'Canary').some(
      (c) => c.metadata.name === s.name && c.metadata.namespace === ns && c.spec.provider === 'traefik',
    )
  );
}

/** Pinned images only: a tag or digest, never `latest`. */
export const pinnedImages: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ objects }) =>
    objects.flatMap((o) =>
      containers(o)
        .filter(
          (c) =>
            !/@sha256:[0-9a-f]{64}$/.test(c.image) &&
            !/:[\w][\w.-]{0,127}$/.test(c.image.split('/').pop() ?? ''),
        )
        .concat(containers(o).filter((c) => /:latest$/.test(c.image)))
        .map((c) => violation(ref(o), `image ${c.image} is not pinned`)),
    ),
  );

const runsAsNonRoot = (pod: { securityContext?: { runAsNonRoot?: boolean } }, c: Container) =>
  c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;

/** Hardened pods: non-root, read-only root, no escalation, no capabilities, seccomp, requests+limits. */
export const hardenedPods: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ objects }) =>
    objects.flatMap((o) => {
      const pod = podTemplate(o)?.spec;
      if (pod === undefined) return [];
      const bad = (what: string) => violation(ref(o), what);
      const out: Violation[] = [];
      if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault')
        out.push(bad('seccomp profile is not RuntimeDefault'));
      for (const c of containers(o)) {
        const sc = c.securityContext ?? {};
        if (runsAsNonRoot(pod, c) !== true) out.push(bad(`${c.name}: runAsNonRoot is not true`));
        if (sc.readOnlyRootFilesystem !== true) out.push(bad(`${c.name}: root filesystem is writable`));
        if (sc.allowPrivilegeEscalation !== false) out.push(bad(`${c.name}: privilege escalation allowed`));
        if (sc.privileged === true) out.push(bad(`${c.name}: privileged`));
        if (JSON.stringify(sc.capabilities?.drop) !== '["ALL"]' || sc.capabilities?.add)
          out.push(bad(`${c.name}: capabilities not dropped`));
        for (const kind of ['requests', 'limits'] as const) {
          for (const resource of ['cpu', 'memory']) {
            if (c.resources?.[kind]?.[resource] === undefined)
              out.push(bad(`${c.name}: no ${resource} ${kind}`));
          }
        }
      }
      if (
        o.kind === 'Deployment' &&
        o.spec.template.metadata?.annotations?.['linkerd.io/inject'] !== 'enabled'
      ) {
        out.push(bad('pods are not Linkerd-injected'));
      }
      if (o.kind === 'Deployment' && o.spec.replicas !== undefined)
        out.push(bad('sets replicas although an HPA owns them'));
      return out;
    }),
  );

/**
 * The manifests run each image the way its Dockerfile built it: as its USER, on ports it EXPOSEs,
 * nginx listening on the http port, the exporter scraping the stub_status address the image serves,
 * and every path the image writes to mounted writable (the root filesystem is read-only).
 */
export const imageContract: Check = ({ corpus, images }) =>
  renders(corpus).flatMap(({ where, objects }) =>
    ofKind(objects, 'Deployment').flatMap((d) => {
      const facts = images[d.metadata.name as ImageService];
      const pod = podTemplate(d)?.spec;
      const c = containers(d).find((x) => x.name === d.metadata.name);
      if (facts === undefined || c === undefined) return [];
      const bad = (message: string) => violation(ref(d), `${message} (${facts.dockerfile}; ${where})`);
      return [
        ...userMismatch(facts, c, pod, bad),
        ...(c.ports ?? [])
          .filter((p) => !facts.exposedPorts.includes(p.containerPort))
          .map((p) =>
            bad(
              `container port ${p.containerPort} is not one the image exposes (${facts.exposedPorts.join(', ')})`,
            ),
          ),
        ...nginxMismatch(facts, c, containers(d), bad),
        ...facts.writablePaths
          .filter((dir) => {
            const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === dir && m.readOnly !== true);
            return !pod?.volumes?.some(
              (v: { name: string; emptyDir?: unknown }) => v.name === mount?.name && v.emptyDir,
            );
          })
          .map((dir) => bad(`${dir} is not a writable emptyDir, but the image writes there`)),
      ];
    }),
  );

function userMismatch(
  facts: ImageFacts,
  c: Container,
  // biome-ignore lint/suspicious/noExplicitAny: a pod spec as rendered.
  pod: any,
  bad: (message: string) => Violation,
): Violation[] {
  if (facts.user === undefined) return [bad('the image sets no numeric USER to run as')];
  const uid = c.securityContext?.runAsUser ?? pod?.securityContext?.runAsUser;
  const gid = c.securityContext?.runAsGroup ?? pod?.securityContext?.runAsGroup;
  const out: Violation[] = [];
  if (uid !== facts.user.uid) out.push(bad(`runs as uid ${uid}, the image as ${facts.user.uid}`));
  if (facts.user.gid !== undefined && gid !== facts.user.gid)
    out.push(bad(`runs as gid ${gid}, the image as ${facts.user.gid}`));
  return out;
}

function nginxMismatch(
  facts: ImageFacts,
  c: Container,
  all: readonly Container[],
  bad: (message: string) => Violation,
): Violation[] {
  if (facts.listens.length === 0) return [];
  const out: Violation[] = [];
  const http = (c.ports ?? []).find((p) => p.name === 'http')?.containerPort;
  const open = facts.listens.filter((l) => l.address === undefined || l.address === '0.0.0.0');
  if (!open.some((l) => l.port === http))
    out.push(bad(`nginx listens on ${open.map((l) => l.port).join(', ')}, not on the http port ${http}`));
  if (facts.stubStatus !== undefined) {
    const uri = `http://${facts.stubStatus.address ?? '127.0.0.1'}:${facts.stubStatus.port}/stub_status`;
    if (!all.some((x) => (x.args ?? []).includes(`--nginx.scrape-uri=${uri}`)))
      out.push(bad(`no exporter scrapes ${uri}, where the image serves stub_status`));
  }
  return out;
}

/**
 * The web UI finds the api through /config.json in the nginx html root (apps/web src/config.ts):
 * it is mounted there, and its apiUrl is the api origin its environment's edge serves. Without it the
 * UI would call its built-in default, http://localhost:8080.
 */
export const webApiUrl: Check = ({ corpus, images }) =>
  ENVIRONMENTS.flatMap((env) => {
    const objects = corpus.overlays[env];
    const apiOrigins = edgeOrigins(objects, 'api-service');
    const path = `${images.web.htmlRoot}/config.json`;
    return ofKind(objects, 'Deployment')
      .filter((d) => d.metadata.name === 'web')
      .flatMap((d) => {
        const mount = containers(d)
          .find((c) => c.name === 'web')
          ?.volumeMounts?.find((m) => m.mountPath === path);
        const volume = podTemplate(d)?.spec.volumes?.find((v: { name: string }) => v.name === mount?.name);
        const data = objects.find(
          (o) => o.kind === 'ConfigMap' && o.metadata.name === volume?.configMap?.name,
        )?.data?.[mount?.subPath ?? ''];
        if (data === undefined) return [violation(ref(d), `no config.json mounted at ${path} (${env})`)];
        const apiUrl = readApiUrl(data);
        return apiOrigins.includes(apiUrl ?? '')
          ? []
          : [
              violation(
                ref(d),
                `config.json apiUrl ${apiUrl} is not the api edge ${apiOrigins.join(' or ')} (${env})`,
              ),
            ];
      });
  });

function readApiUrl(json: string): string | undefined {
  try {
    const value = JSON.parse(json) as { apiUrl?: unknown };
    return typeof value.apiUrl === 'string' ? value.apiUrl : undefined;
  } catch {
    return undefined;
  }
}

export const SERVICE_PROBES: Record<ServiceName | 'web', { readiness: unknown; liveness: unknown }> = {
  'api-service': {
    readiness: { httpGet: { path: '/readyz', port: 'http' } },
    liveness: { httpGet: { path: '/healthz', port: 'http' } },
  },
  'store-service': {
    readiness: { grpc: { port: 8080, service: ITEMS_SERVICE_NAME } },
    liveness: { grpc: { port: 8080 } },
  },
  web: {
    readiness: { httpGet: { path: '/', port: 'http' } },
    liveness: { httpGet: { path: '/', port: 'http' } },
  },
};

const probeTarget = (probe: Record<string, unknown> | undefined) =>
  JSON.stringify({
    httpGet: probe?.httpGet,
    grpc: probe?.grpc,
    exec: probe?.exec,
    tcpSocket: probe?.tcpSocket,
  });

/**
 * Probes match what each service serves and what its image contains: HTTP /healthz and /readyz
 * for api, native gRPC health on the gRPC port for store (no grpc_health_probe binary in the image),
 * HTTP / for web; ports named in the probe exist on the container.
 */
export const probes: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ objects }) =>
    ofKind(objects, 'Deployment').flatMap((o) => {
      const expected = SERVICE_PROBES[o.metadata.name as keyof typeof SERVICE_PROBES];
      const c = containers(o).find((x) => x.name === o.metadata.name);
      if (expected === undefined || c === undefined) return [];
      const out: Violation[] = [];
      const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
      for (const [kind, probe] of [
        ['readiness', c.readinessProbe],
        ['liveness', c.livenessProbe],
      ] as const) {
        const want = expected[kind] as Record<string, unknown>;
        if (probeTarget(probe) !== probeTarget(want))
          out.push(violation(ref(o), `${kind} probe ${probeTarget(probe)} should be ${probeTarget(want)}`));
        const port = probe?.httpGet?.port ?? probe?.grpc?.port;
        const known = typeof port === 'number' ? [...ports.values()].includes(port) : ports.has(port);
        if (!known) out.push(violation(ref(o), `${kind} probe port ${port} is not a container port`));
      }
      const grpcPort = ports.get('grpc');
      if (c.readinessProbe?.grpc && c.readinessProbe.grpc.port !== grpcPort) {
        out.push(violation(ref(o), 'gRPC probe is not on the gRPC port'));
      }
      return out;
    }),
  );

/** Env var names are the ones the service reads, required ones are set, and the values parse. */
export const serviceEnv: Check = ({ corpus, env }) =>
  renders(corpus).flatMap(({ objects }) =>
    (['api-service', 'store-service'] as const).flatMap((service) =>
      containerEnv(objects, service).flatMap(({ o, env: values }) => {
        const contract = env[service];
        const out: Violation[] = [];
        for (const name of Object.keys(values)) {
          if (!contract.names.has(name) && !name.startsWith('OTEL_'))
            out.push(violation(ref(o), `${service} does not read ${name}`));
        }
        for (const name of contract.required) {
          if (!values[name]) out.push(violation(ref(o), `${name} is required by ${service}`));
        }
        for (const problem of contract.problems(values)) out.push(violation(ref(o), problem));
        const ports = new Map(
          (containers(o).find((c) => c.name === service)?.ports ?? []).map((p) => [p.name, p.containerPort]),
        );
        if (String(ports.get(service === 'api-service' ? 'http' : 'grpc')) !== values.PORT)
          out.push(violation(ref(o), 'PORT is not the serving container port'));
        if (String(ports.get('metrics')) !== values.METRICS_PORT)
          out.push(violation(ref(o), 'METRICS_PORT is not the metrics container port'));
        return out;
      }),
    ),
  );

/** Analysis queries only the series the services export, with their label names. */
export const metricTemplates: Check = ({ corpus, metrics }) =>
  ENVIRONMENTS.flatMap((env) =>
    ofKind(corpus.overlays[env], 'MetricTemplate').flatMap((t) => {
      const out: Violation[] = [];
      // Flagger's own {{ variables }} would end a selector early; they are values, so blank them.
      const query = (t.spec.query as string).replace(/\{\{[^}]*\}\}/g, 'VAR');
      const selectors = [...query.matchAll(/([a-z_:][a-z0-9_:]*)\{([^}]*)\}/g)];
      if (selectors.length === 0) out.push(violation(ref(t), 'query selects no series'));
      for (const [, series = '', matchers = ''] of selectors) {
        const base = series.replace(/_(bucket|sum|count)$/, '');
        const labels = metrics.get(series) ?? metrics.get(base);
        if (labels === undefined) {
          out.push(violation(ref(t), `${series} is not a metric the services export`));
          continue;
        }
        for (const [, label = ''] of matchers.matchAll(/([a-z_]+)\s*(=~|!~|!=|=)/g)) {
          if (!['namespace', 'pod', 'le', ...labels].includes(label))
            out.push(violation(ref(t), `${series} has no label ${label}`));
        }
      }
      return out;
    }),
  );

export const CHECKS = {
  repoUrl,
  argoKustomizeOptions,
  targetRevision,
  automatedSync,
  flaggerOwnedFields,
  prNamespaceGuardrails,
  immutablePrImages,
  prIsolation,
  separateTables,
  hookNamespace,
  traefikV3,
  prEdgeRoute,
  grpcRouteTargets,
  prMeshRoute,
  grpcAppProtocol,
  flaggerMeshConflict,
  productionStripsCanaryHeader,
  corsOrigins,
  webApiUrl,
  selectorsMatch,
  references,
  pinnedImages,
  hardenedPods,
  imageContract,
  probes,
  serviceEnv,
  metricTemplates,
} satisfies Record<string, Check>;
