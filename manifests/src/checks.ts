/**
 * Policy checks over the rendered corpus. Each guards against one mistake found in public
 * write-ups of this pattern and returns the violations it finds ([] when clean); the tests run
 * each against the real manifests and against a deliberately broken copy.
 */
import { ITEMS_SERVICE_NAME } from '@pr-canary/proto';
import { type Application, ARGO_KUSTOMIZE_OPTIONS } from './argocd';
import type { Corpus, PrApp } from './corpus';
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

const PR_NAMESPACE_OWNERS: Record<string, (n: string) => string> = {
  'api-service': (n) => `api-canary-pr-${n}`,
  'store-service': (n) => `store-canary-pr-${n}`,
};

/** A PR app owns its namespace, and that namespace has quota, limits and default-deny policies. */
export const prNamespaceGuardrails: Check = ({ corpus }) =>
  corpus.prApps.flatMap((p) => {
    const owner = PR_NAMESPACE_OWNERS[p.kind];
    if (owner === undefined) return [];
    const ns = owner(p.number);
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

const PR_ROUTE_PRIORITY_FLOOR = 100;

/** The PR edge route: in the PR namespace, Host + Header(`X-Canary`, `N`), priority above stable. */
export const prEdgeRoute: Check = ({ corpus }) => {
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
  return corpus.prApps
    .filter((p) => p.kind === 'api-service')
    .flatMap((p) => {
      const routes = ofKind(p.objects, 'IngressRoute');
      if (routes.length === 0) return [violation(`Application ${p.app.metadata.name}`, 'no PR IngressRoute')];
      return routes.flatMap((o) => {
        const route = o.spec.routes[0];
        const expected = `Host(\`api.${domain}\`) && Header(\`X-Canary\`, \`${p.number}\`)`;
        const out: Violation[] = [];
        if (o.metadata.namespace !== `api-canary-pr-${p.number}`)
          out.push(violation(ref(o), 'PR route outside the PR namespace'));
        if (route.match !== expected) out.push(violation(ref(o), `match ${route.match} is not ${expected}`));
        const floor = stableMax(o.spec.entryPoints);
        if (!(route.priority > floor && route.priority >= PR_ROUTE_PRIORITY_FLOOR)) {
          out.push(violation(ref(o), `priority ${route.priority} must be above stable's ${floor}`));
        }
        return out;
      });
    });
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

/** The PR mesh route: in apps, exact x-canary N → the PR namespace; a ReferenceGrant allows it. */
export const prMeshRoute: Check = ({ corpus }) =>
  corpus.prApps
    .filter((p) => p.kind === 'store-route')
    .flatMap((p) => {
      const subject = `Application ${p.app.metadata.name}`;
      const [route, ...extra] = ofKind(p.objects, 'GRPCRoute');
      if (route === undefined || extra.length > 0) return [violation(subject, 'needs exactly one GRPCRoute')];
      const out: Violation[] = [];
      const rule = route.spec.rules?.[0];
      const header = rule?.matches?.[0]?.headers?.[0];
      if (route.metadata.namespace !== corpus.config.stableNamespace)
        out.push(violation(ref(route), 'must live in apps (producer route)'));
      if (header?.type !== 'Exact' || header.name !== 'x-canary' || header.value !== p.number) {
        out.push(violation(ref(route), `match must be Exact x-canary "${p.number}"`));
      }
      const backendNs = `store-canary-pr-${p.number}`;
      if (rule?.backendRefs?.[0]?.namespace !== backendNs)
        out.push(violation(ref(route), `backend must be in ${backendNs}`));
      const store = corpus.prApps.find((s) => s.kind === 'store-service' && s.number === p.number);
      const grant = store?.objects.find(
        (o) =>
          o.kind === 'ReferenceGrant' &&
          o.metadata.namespace === backendNs &&
          o.spec.from.some(
            (f: { kind: string; namespace: string }) =>
              f.kind === 'GRPCRoute' && f.namespace === route.metadata.namespace,
          ) &&
          o.spec.to.some((t: { kind: string; group: string }) => t.kind === 'Service' && t.group === ''),
      );
      if (grant === undefined)
        out.push(violation(subject, `no ReferenceGrant in ${backendNs} for GRPCRoutes from apps`));
      return out;
    });

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

const SERVICE_PROBES: Record<ServiceName | 'web', { readiness: unknown; liveness: unknown }> = {
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
  selectorsMatch,
  references,
  pinnedImages,
  hardenedPods,
  probes,
  serviceEnv,
  metricTemplates,
} satisfies Record<string, Check>;
