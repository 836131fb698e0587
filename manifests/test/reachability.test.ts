/**
 * Reachability in each environment (stable overlay + platform, and in integration-001 the sample
 * PRs' canaries), computed from the rendered NetworkPolicies (src/reachability.ts) and asserted as
 * a whole matrix: the edges the architecture needs are open, every other one is closed. This
 * replaced whole-object expectations on the policies, which a breakage could simply be copied into.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Corpus } from '../src/corpus';
import { ENVIRONMENTS, type Environment } from '../src/layout';
import { containers, type KubeObject } from '../src/objects';
import { type Cluster, type Endpoint, namespaceLabels, reachabilityMatrix } from '../src/reachability';
import { brokenCopy, realContext, renderedSource } from './helper';

let platform: KubeObject[];
beforeAll(async () => {
  [platform] = await Promise.all([renderedSource('platform'), realContext()]);
});

const LINKERD_INBOUND = { port: 4143, name: 'linkerd-proxy' };
/**
 * Telepresence (integration-001 only, components/telepresence-access): the traffic agent an intercept
 * injects listens on its own port and takes over the Service's target port, so any workload there —
 * stable or a PR's canary — may be reached on it; the traffic manager serves its API in `ambassador`.
 */
const TRAFFIC_AGENT = { port: 9900, name: 'traffic-agent' };

/** PR canaries run in integration-001 only. */
const prsIn = (corpus: Corpus, env: Environment) =>
  env === 'integration-001' ? [...new Set(corpus.prApps.map((p) => p.number))] : [];

function clusterOf(corpus: Corpus, env: Environment): { cluster: Cluster; objects: KubeObject[] } {
  const objects = [
    ...corpus.overlays[env],
    ...platform,
    ...(env === 'integration-001' ? corpus.prApps.flatMap((p) => p.objects) : []),
  ];
  const namespaces = namespaceLabels(
    objects.filter((o) => o.kind === 'Namespace'),
    [
      'traefik',
      'linkerd',
      'linkerd-viz',
      'kube-system',
      'monitoring',
      'observability',
      'flagger-system',
      'ambassador',
    ],
  );
  return { cluster: { namespaces, policies: objects.filter((o) => o.kind === 'NetworkPolicy') }, objects };
}

let nextIp = 10;
/** The pods of a rendered Deployment: its template labels, its serving port, and Linkerd's inbound port. */
function workload(
  objects: readonly KubeObject[],
  name: string,
  service: string,
  namespace: string,
  env: Environment,
): Endpoint {
  const deployment = objects.find(
    (o) => o.kind === 'Deployment' && o.metadata.name === service && o.metadata.namespace === namespace,
  );
  if (deployment === undefined) throw new Error(`test fixture: no Deployment ${namespace}/${service}`);
  const serving = containers(deployment)
    .flatMap((c) => c.ports ?? [])
    .filter((p) => p.name === 'http' || p.name === 'grpc')
    .map((p) => ({ port: p.containerPort, name: p.name }));
  return {
    name,
    namespace,
    labels: deployment.spec.template.metadata.labels,
    ip: `10.42.0.${nextIp++}`,
    ports: [...serving, LINKERD_INBOUND, ...(env === 'integration-001' ? [TRAFFIC_AGENT] : [])],
    managed: true,
  };
}

/** A platform pod: its namespace, its labels and the ports it serves, by name. */
const platformPod = (
  name: string,
  namespace: string,
  labels: Record<string, string>,
  ip: string,
  ports: Record<string, number>,
): Endpoint => ({
  name,
  namespace,
  labels,
  ip,
  ports: Object.entries(ports).map(([portName, port]) => ({ port, name: portName })),
});

/**
 * The collector every service sends its traces to, where the rendered `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (`http://<name>.<namespace>.svc…:<port>`) says it is: one value for every workload.
 */
function collector(objects: readonly KubeObject[]): Endpoint {
  const endpoints = new Set(
    objects
      .filter((o) => o.kind === 'Deployment')
      .flatMap((o) => containers(o).flatMap((c) => c.env ?? []))
      .filter((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')
      .map((e) => e.value),
  );
  expect(endpoints.size, 'one collector for every workload').toBe(1);
  const url = new URL([...endpoints][0] as string);
  const [name = '', namespace = ''] = url.hostname.split('.');
  return platformPod(name, namespace, { 'app.kubernetes.io/name': name }, '10.42.5.2', {
    'otlp-http': Number(url.port),
  });
}

function endpoints(prs: readonly string[], objects: readonly KubeObject[], env: Environment): Endpoint[] {
  return [
    collector(objects),
    platformPod('traefik', 'traefik', { 'app.kubernetes.io/name': 'traefik' }, '10.42.1.2', {
      web: 8000,
      websecure: 8443,
    }),
    workload(objects, 'api', 'api-service', 'apps', env),
    workload(objects, 'store', 'store-service', 'apps', env),
    workload(objects, 'web', 'web', 'apps', env),
    ...prs.map((n) => workload(objects, `api-pr-${n}`, 'api-service', `api-canary-pr-${n}`, env)),
    ...prs.map((n) => workload(objects, `store-pr-${n}`, 'store-service', `store-canary-pr-${n}`, env)),
    platformPod(
      'flagger-loadtester',
      'flagger-system',
      { 'app.kubernetes.io/name': 'loadtester' },
      '10.42.3.2',
      {
        http: 8080,
      },
    ),
    platformPod('traffic-manager', 'ambassador', { app: 'traffic-manager' }, '10.42.4.2', { api: 8081 }),
    // DynamoDB's regional endpoint, e.g. dynamodb.eu-west-1.amazonaws.com (a public address).
    { name: 'dynamodb', ip: '52.94.24.0', ports: [{ port: 443 }] },
    platformPod('linkerd', 'linkerd', { 'linkerd.io/control-plane-ns': 'linkerd' }, '10.42.2.2', {
      grpc: 8086,
      'policy-grpc': 8090,
      'ident-grpc': 8080,
    }),
  ];
}

async function matrix(
  corpus?: Corpus,
  env: Environment = 'integration-001',
): Promise<Record<string, string>> {
  const real = corpus ?? (await realContext()).corpus;
  const { cluster, objects } = clusterOf(real, env);
  return reachabilityMatrix(endpoints(prsIn(real, env), objects, env), cluster);
}

/**
 * The edges pr-canary needs; every other pair with one of our workloads at an end must be denied
 * (pairs among Traefik, Linkerd and DynamoDB are not governed by these manifests).
 */
function expectedMatrix(env: Environment, prs: readonly string[]): Record<string, string> {
  const meshed = ['api', 'store', 'web', ...prs.flatMap((n) => [`api-pr-${n}`, `store-pr-${n}`])];
  const allowed = new Set([
    // the edge reaches the web UI and the apis (stable and every PR's canary)
    'traefik → web',
    'traefik → api',
    ...prs.map((n) => `traefik → api-pr-${n}`),
    // Flagger's analysis webhooks (production's progressive delivery) call the api and the store
    ...(env === 'production' ? ['flagger-loadtester → api', 'flagger-loadtester → store'] : []),
    // the stable api calls the stable store and, routed by the mesh, every PR's store canary
    'api → store',
    ...prs.map((n) => `api → store-pr-${n}`),
    // a PR's api canary calls the stable store, or its own PR's store canary — no other PR's
    ...prs.flatMap((n) => [`api-pr-${n} → store`, `api-pr-${n} → store-pr-${n}`]),
    // only stores reach DynamoDB
    'store → dynamodb',
    ...prs.map((n) => `store-pr-${n} → dynamodb`),
    // every meshed pod's proxy reaches the Linkerd control plane
    ...meshed.map((w) => `${w} → linkerd`),
    // every pod may send traces to the collector the services name (allow-telemetry selects them all)
    ...meshed.map((w) => `${w} → otel-collector`),
    // integration-001's intercepts (stable or a PR's canary): the traffic agent dials the traffic manager
    ...(env === 'integration-001' ? meshed.map((w) => `${w} → traffic-manager`) : []),
  ]);
  // …and the traffic manager dials a workload's serving port for a local process's calls (not
  // Linkerd's inbound port, nor the agent's: it is not meshed, and calls the Service).
  const servingOnly: Record<string, string> = Object.fromEntries(
    env === 'integration-001' ? meshed.map((w) => [`traffic-manager → ${w}`, 'only 8080']) : [],
  );
  const unmanaged = [
    'traefik',
    'flagger-loadtester',
    'dynamodb',
    'linkerd',
    'traffic-manager',
    'otel-collector',
  ];
  const names = [...unmanaged, ...meshed];
  const expected: Record<string, string> = {};
  for (const from of names)
    for (const to of names)
      if (from !== to && !(unmanaged.includes(from) && unmanaged.includes(to)))
        expected[`${from} → ${to}`] =
          servingOnly[`${from} → ${to}`] ?? (allowed.has(`${from} → ${to}`) ? 'allowed' : 'denied');
  return expected;
}

describe('reachability among the edge, stable apps, PR canaries, DynamoDB and Linkerd', () => {
  it('integration-001 with two PRs: exactly the edges the architecture needs; everything else is denied', async () => {
    const { corpus } = await realContext();
    const prs = prsIn(corpus, 'integration-001');
    expect(prs).toHaveLength(2);
    expect(await matrix()).toEqual(expectedMatrix('integration-001', prs));
  });

  it.each(['production', 'staging'] as const)(
    '%s: the same for stable alone (production adds Flagger’s loadtester)',
    async (env) => {
      expect(await matrix(undefined, env)).toEqual(expectedMatrix(env, []));
    },
  );
});

describe("Linkerd's own calls into every meshed pod", () => {
  // The proxy's admin server (metrics, readiness) and tap server, beside the serving ports above.
  const ADMIN = { port: 4191, name: 'linkerd-admin' };
  const TAP = { port: 4190, name: 'linkerd-tap' };

  it.each(ENVIRONMENTS)(
    '%s: the control plane reaches the admin port; linkerd-viz the admin port and tap (`linkerd viz tap`)',
    async (env) => {
      const { corpus } = await realContext();
      const { cluster, objects } = clusterOf(corpus, env);
      const meshed = endpoints(prsIn(corpus, env), objects, env)
        .filter((e) => e.managed)
        .map((e) => ({ ...e, ports: [ADMIN, TAP] }));
      const controlPlane = platformPod('linkerd', 'linkerd', {}, '10.42.2.3', {});
      const viz = platformPod('linkerd-viz', 'linkerd-viz', { component: 'tap' }, '10.42.5.2', {});
      const reached = reachabilityMatrix([controlPlane, viz, ...meshed], cluster);
      for (const to of meshed) {
        expect(reached[`linkerd → ${to.name}`], to.name).toBe('only 4191');
        expect(reached[`linkerd-viz → ${to.name}`], to.name).toBe('allowed');
      }
    },
  );
});

describe('the matrix catches the breakages whole-object expectations let through', () => {
  const api7 = (ctx: { corpus: Corpus }) =>
    ctx.corpus.prApps.find((p) => p.kind === 'api-service' && p.number === '7');
  const store7 = (ctx: { corpus: Corpus }) =>
    ctx.corpus.prApps.find((p) => p.kind === 'store-service' && p.number === '7');

  it('Traefik no longer admitted to the api canary namespace', async () => {
    const ctx = await brokenCopy((c) => {
      for (const o of api7(c)?.objects ?? [])
        if (o.kind === 'NetworkPolicy')
          for (const rule of o.spec.ingress ?? [])
            for (const peer of rule.from ?? [])
              if (peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'traefik')
                peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name'] = 'ingress-nginx';
    });
    const m = await matrix(ctx.corpus);
    expect(m['traefik → api-pr-7']).toBe('denied');
    expect(m['traefik → api-pr-123456789']).toBe('allowed');
  });

  it('a PR namespace losing the workloads label', async () => {
    const ctx = await brokenCopy((c) => {
      for (const p of [api7(c), store7(c)])
        for (const o of p?.objects ?? [])
          if (o.kind === 'Namespace') delete o.metadata.labels?.['pr-canary.dev/workloads'];
    });
    const m = await matrix(ctx.corpus);
    expect(m['api → store-pr-7']).toBe('denied');
    expect(m['api-pr-7 → store-pr-7']).toBe('denied');
  });

  it('the store canary losing its DynamoDB egress', async () => {
    const ctx = await brokenCopy((c) => {
      const store = store7(c);
      if (store === undefined) throw new Error('test fixture: no store canary for PR 7');
      store.objects = store.objects.filter(
        (o) =>
          !(
            o.kind === 'NetworkPolicy' &&
            (o.spec.egress ?? []).some((r: { to?: { ipBlock?: unknown }[] }) => r.to?.some((t) => t.ipBlock))
          ),
      );
    });
    const m = await matrix(ctx.corpus);
    expect(m['store-pr-7 → dynamodb']).toBe('denied');
    expect(m['store-pr-123456789 → dynamodb']).toBe('allowed');
  });
});
