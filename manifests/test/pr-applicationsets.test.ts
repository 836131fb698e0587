import { RE2JS } from '@bufbuild/re2';
import { otherValuePattern, routeTable } from '@pr-canary/contracts/route-rule';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Application,
  ArgoCdError,
  buildApplication,
  pullRequestParams,
  renderApplication,
} from '../src/argocd';
import { deployedCanaries } from '../src/checks';
import { applicationSet, type PrApp, SAMPLE_PULL_REQUESTS } from '../src/corpus';
import { TemplateError } from '../src/go-template';
import { containers, envOf, type KubeObject } from '../src/objects';
import { unmatchedPatches } from '../src/patch-targets';
import { canaryLabel, canaryServices } from '../src/services';
import { find, realContext } from './helper';

// Importing the services' config schemas and metric definitions takes a few seconds.
beforeAll(() => realContext());

const inventory = (objects: readonly KubeObject[]) =>
  objects
    .map(
      (o) =>
        `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '-<hash>')}`,
    )
    .sort();

const WORKLOAD = (service: string, ns: string) => [
  `Deployment ${ns}/${service}`,
  `HorizontalPodAutoscaler ${ns}/${service}`,
  `LimitRange ${ns}/pr-canary`,
  `Namespace -/${ns}`,
  `NetworkPolicy ${ns}/allow-dns`,
  `NetworkPolicy ${ns}/allow-linkerd`,
  `NetworkPolicy ${ns}/allow-telemetry`,
  `NetworkPolicy ${ns}/default-deny`,
  `NetworkPolicy ${ns}/telepresence-agent-to-manager`,
  `NetworkPolicy ${ns}/telepresence-manager-to-workloads`,
  `PodDisruptionBudget ${ns}/${service}`,
  `ResourceQuota ${ns}/pr-canary`,
  `Service ${ns}/${service}`,
  `Service ${ns}/${service}-metrics`,
  `ServiceAccount ${ns}/${service}`,
  `ServiceMonitor ${ns}/${service}`,
];

const [FIRST_PR] = SAMPLE_PULL_REQUESTS as [(typeof SAMPLE_PULL_REQUESTS)[number]];

function onlyContainer(o: KubeObject) {
  const [c, ...others] = containers(o);
  if (c === undefined || others.length > 0) throw new Error(`${o.metadata.name} should have one container`);
  return c;
}

async function apps(kind: string): Promise<PrApp[]> {
  const { corpus } = await realContext();
  return corpus.prApps.filter((p) => p.kind === kind);
}

describe.each(SAMPLE_PULL_REQUESTS)('PR $number (head $headSha)', ({ number, headSha }) => {
  const n = String(number);
  const tag = `pr-${n}-${headSha.slice(0, 8)}`;
  const forPr = async (kind: string) => {
    const found = (await apps(kind)).find((p) => p.number === n);
    if (found === undefined) throw new Error(`no ${kind} app for PR ${n}`);
    return found;
  };

  it('api-service: its own namespace, immutable image, track, guarded namespace and edge route', async () => {
    const { app, objects } = await forPr('api-service');
    const ns = `api-canary-pr-${n}`;
    expect(app.metadata).toMatchObject({
      name: `api-service-pr-${n}`,
      namespace: 'argocd',
      labels: { 'pr-canary.dev/pr': n },
    });
    expect(app.spec.destination).toEqual({ name: 'integration-001', namespace: ns });
    // Manifests from the protected branch; only the image tag comes from the PR (CI's deploy record).
    expect(app.spec.source).toMatchObject({ targetRevision: 'main', path: 'manifests/pr-canary/api' });
    expect(app.spec.project).toBe('pr-canary-previews-api');
    expect(inventory(objects)).toEqual(
      [
        ...WORKLOAD('api-service', ns),
        `IngressRoute ${ns}/api-service`,
        `NetworkPolicy ${ns}/api-service-from-edge`,
        `NetworkPolicy ${ns}/api-service-to-store`,
      ].sort(),
    );
    for (const o of objects)
      expect(o.metadata.labels?.['pr-canary.dev/pr'], `${o.kind} ${o.metadata.name}`).toBe(n);
    const deployment = find(objects, 'Deployment', 'api-service');
    const c = onlyContainer(deployment);
    expect(c.image).toBe(`ghcr.io/pr-canary/api-service:${tag}`);
    expect(envOf(c)).toMatchObject({
      CANARY_TRACK: `pr-${n}`,
      SERVICE_VERSION: tag,
      STORE_ADDR: 'store-service.apps.svc.cluster.local:80',
      // Stable integration-001's CORS answer: preflights carrying X-Canary land on this canary.
      CORS_ALLOWED_ORIGINS: 'https://app.int-001.example.com',
    });
    expect(find(objects, 'IngressRoute', 'api-service').spec).toEqual({
      entryPoints: ['websecure'],
      routes: [
        {
          kind: 'Rule',
          // Rendered by Argo CD's Go template from the PR number; must be localdev's derivation exactly.
          match: `Host(\`api.int-001.example.com\`) && Header(\`X-Canary\`, \`${n}\`) && !HeaderRegexp(\`X-Canary\`, \`${otherValuePattern(n)}\`)`,
          priority: 100,
          services: [{ kind: 'Service', name: 'api-service', port: 80 }],
        },
      ],
      tls: {},
    });
    // Traefik compiles HeaderRegexp with Go's RE2 and searches every value (unanchored): with an RE2
    // engine, the rendered pattern finds every value but N — so no request with another value matches.
    const rule: string = find(objects, 'IngressRoute', 'api-service').spec.routes[0].match;
    const pattern = /!HeaderRegexp\(`X-Canary`, `([^`]*)`\)$/.exec(rule)?.[1] ?? '';
    const re2 = RE2JS.compile(pattern);
    const values = [
      '',
      n,
      `${n} `,
      ` ${n}`,
      `0${n}`,
      `${n}0`,
      n.slice(1),
      n.slice(0, -1),
      `${n},${n}`,
      'abc',
    ];
    for (let digit = 0; digit <= 9; digit++) {
      for (let at = 0; at < n.length; at++) values.push(n.slice(0, at) + String(digit) + n.slice(at + 1));
    }
    for (const value of values) expect(re2.test(value), JSON.stringify(value)).toBe(value !== n);
    expect(find(objects, 'ResourceQuota', 'pr-canary').spec.hard).toMatchObject({
      pods: '10',
      'limits.memory': '4Gi',
    });
    // What the NetworkPolicies allow is asserted as a reachability matrix (test/reachability.test.ts).
  });

  it('store-service: one app owns namespace, table, route in apps and the cleanup hook, ordered by waves', async () => {
    const { app, objects } = await forPr('store-service');
    const ns = `store-canary-pr-${n}`;
    expect(app.metadata.name).toBe(`store-service-pr-${n}`);
    expect(app.spec.project).toBe('pr-canary-previews-store');
    expect(app.spec.source).toMatchObject({ targetRevision: 'main', path: 'manifests/pr-canary/store' });
    expect(app.spec.destination).toEqual({ name: 'integration-001', namespace: ns });
    expect(inventory(objects)).toEqual(
      [
        ...WORKLOAD('store-service', ns),
        `NetworkPolicy ${ns}/store-service-from-api`,
        `NetworkPolicy ${ns}/store-service-to-dynamodb`,
        `ReferenceGrant ${ns}/store-service-from-apps`,
        `GRPCRoute apps/store-service-pr-${n}`,
        `Job pr-canary-system/dynamodb-table-cleanup-pr-${n}`,
      ].sort(),
    );
    // Argo CD deletes in reverse wave order, then runs PostDelete hooks: route, workload, namespace, table.
    const wave = (o: KubeObject) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
    const route = find(objects, 'GRPCRoute', `store-service-pr-${n}`);
    const namespace = find(objects, 'Namespace', ns);
    const rest = objects.filter((o) => o !== route && o !== namespace && o.kind !== 'Job');
    expect(wave(route)).toBeGreaterThan(Math.max(...rest.map(wave)));
    expect(wave(namespace)).toBeLessThan(Math.min(...rest.map(wave)));
    const sa = find(objects, 'ServiceAccount', 'store-service');
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    const c = onlyContainer(find(objects, 'Deployment', 'store-service'));
    expect(c.image).toBe(`ghcr.io/pr-canary/store-service:${tag}`);
    expect(envOf(c)).toMatchObject({
      CANARY_TRACK: `pr-${n}`,
      DYNAMODB_TABLE: `pr-canary-items-pr-${n}`,
      DYNAMODB_CREATE_TABLE: 'true',
    });
    expect(find(objects, 'ReferenceGrant', 'store-service-from-apps').spec).toEqual({
      from: [{ group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', namespace: 'apps' }],
      to: [{ group: '', kind: 'Service', name: 'store-service' }],
    });
  });

  it('store route and cleanup: exact x-canary match to its own namespace, a hook bounded by its script and its deadline', async () => {
    const { objects } = await forPr('store-service');
    expect(find(objects, 'GRPCRoute', `store-service-pr-${n}`).spec).toEqual({
      parentRefs: [{ group: 'core', kind: 'Service', name: 'store-service', port: 80 }],
      rules: [
        {
          matches: [{ headers: [{ type: 'Exact', name: 'x-canary', value: n }] }],
          backendRefs: [{ name: 'store-service', namespace: `store-canary-pr-${n}`, port: 80 }],
        },
      ],
    });
    const job = find(objects, 'Job', `dynamodb-table-cleanup-pr-${n}`);
    expect(job.metadata.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'PostDelete',
      'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded',
    });
    expect(job.spec).toMatchObject({
      backoffLimit: 2,
      activeDeadlineSeconds: 300,
      ttlSecondsAfterFinished: 604800,
    });
    expect(envOf(onlyContainer(job)).TABLE_NAME).toBe(`pr-canary-items-pr-${n}`);
    // The script is one platform object no PR app owns (or deletes).
    expect(job.spec.template.spec.volumes[0].configMap.name).toBe('dynamodb-table-cleanup-script');
    expect(objects.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
  });
});

describe("the rendered PR routes are localdev's route table for the same PRs", () => {
  it('one edge route per api canary and one mesh route per store canary, as the dev router routes', async () => {
    const { corpus } = await realContext();
    const rendered = corpus.prApps.flatMap((p) => [
      ...p.objects
        .filter((o) => o.kind === 'IngressRoute')
        .map((o) => ({
          service: p.kind,
          header: /Header\(`([^`]+)`, `([^`]+)`\)/.exec(o.spec.routes[0].match)?.slice(1),
          namespace: o.metadata.namespace,
          priority: o.spec.routes[0].priority,
        })),
      ...p.objects
        .filter((o) => o.kind === 'GRPCRoute')
        .map((o) => ({
          service: p.kind,
          header: [o.spec.rules[0].matches[0].headers[0].name, o.spec.rules[0].matches[0].headers[0].value],
          namespace: o.spec.rules[0].backendRefs[0].namespace,
        })),
    ]);
    // Priority is Traefik's; the table's value is informative for the mesh, where GRPCRoutes have none.
    const table = routeTable(deployedCanaries(corpus)).routes.map((r) => ({
      service: r.service,
      header: [r.match.header, r.match.value],
      namespace: r.backend.namespace,
      ...(r.protocol === 'http' ? { priority: r.priority } : {}),
    }));
    const order = (a: { service: string; namespace?: string }, b: { service: string; namespace?: string }) =>
      `${a.service} ${a.namespace}`.localeCompare(`${b.service} ${b.namespace}`);
    expect(table).toHaveLength(SAMPLE_PULL_REQUESTS.length * canaryServices().length);
    expect(rendered.sort(order)).toEqual(table.sort(order));
  });
});

describe('PR ApplicationSets: generator and template rules', () => {
  it('select PRs by the documented labels, on this repo, every 5 minutes, deleting on close', async () => {
    const { corpus } = await realContext();
    const expected = Object.fromEntries(
      canaryServices().map((service) => [service.name, canaryLabel(service)]),
    );
    // The labels README.md documents (a scaffolded service adds its own, canary/<name>).
    expect(expected).toMatchObject({
      'api-service': 'canary/api-service',
      'store-service': 'canary/store-service',
    });
    for (const [kind, label] of Object.entries(expected)) {
      const set = applicationSet(corpus.argo, `pr-canary-${kind}`);
      expect(set.spec.generators).toEqual([
        {
          matrix: {
            generators: [
              {
                pullRequest: {
                  requeueAfterSeconds: 300,
                  github: {
                    owner: 'pr-canary',
                    repo: 'pr-canary',
                    tokenRef: { secretName: 'github-token', key: 'token' },
                    labels: [label],
                  },
                },
              },
              // Only PRs CI has recorded a deployable image for (deploy/pr-<N>/<service>.json).
              {
                git: {
                  repoURL: corpus.config.repoURL,
                  revision: corpus.config.deployBranch,
                  files: [{ path: `deploy/pr-{{.number}}/${kind}.json` }],
                },
              },
            ],
          },
        },
      ]);
      expect(set.spec.syncPolicy).toEqual({ preserveResourcesOnDeletion: false });
      expect(set.spec.goTemplateOptions).toEqual(['missingkey=error']);
      expect(set.spec.template.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    }
  });

  it("every patch in the ApplicationSets' Kustomize options lands on an object of the source", async () => {
    const { corpus } = await realContext();
    for (const p of corpus.prApps.filter((a) => a.number === String(FIRST_PR.number))) {
      const source = p.app.spec.source;
      expect(
        await unmatchedPatches(source.path.replace(/^manifests\//, ''), source.kustomize),
        p.app.metadata.name,
      ).toEqual([]);
    }
  });

  it('fail to render when a template uses a parameter the generator does not provide', async () => {
    const { corpus } = await realContext();
    const set = structuredClone(applicationSet(corpus.argo, 'pr-canary-api-service'));
    set.spec.template.metadata.name = 'api-service-pr-{{.pr_number}}';
    expect(() => renderApplication(set, pullRequestParams(FIRST_PR))).toThrow(TemplateError);
    // Without CI's deploy record there is no image tag to render.
    const plain = applicationSet(corpus.argo, 'pr-canary-api-service');
    expect(() => renderApplication(plain, pullRequestParams(FIRST_PR))).toThrow(/deployable/);
  });

  it('building fails when a rendered source uses an option Argo CD does not have', async () => {
    const { corpus } = await realContext();
    const app = structuredClone(corpus.prApps.find((p) => p.kind === 'api-service')?.app) as Application;
    (app.spec.source.kustomize as Record<string, unknown>).resources = ['../../extra'];
    await expect(buildApplication(app)).rejects.toThrow(ArgoCdError);
  });
});

describe('production ApplicationSet (cluster generator × parts)', () => {
  const clusters = [
    {
      name: 'arn:aws:eks:eu-west-1:111122223333:cluster/prod-eu-1',
      nameNormalized: 'arn-aws-eks-eu-west-1-111122223333-cluster-prod-eu-1',
      server: 'https://prod-eu-1.k8s.example.com',
    },
    { name: 'prod-us-1', nameNormalized: 'prod-us-1', server: 'https://prod-us-1.k8s.example.com' },
  ];
  const parts = [
    { part: 'platform', path: 'manifests/platform' },
    { part: 'apps', path: 'manifests/overlays/production' },
  ];

  it('leaves production running when its ApplicationSet is deleted or a cluster loses its label', async () => {
    const { corpus } = await realContext();
    const cascade = (finalizers: unknown) =>
      ((finalizers ?? []) as string[]).filter((f) => f.startsWith('resources-finalizer.argocd.argoproj.io'));
    // preserveResourcesOnDeletion only stops the controller adding the cascade finalizer: one the
    // template sets still deletes every resource of an Application the ApplicationSet deletes.
    for (const set of corpus.argo.filter((o) => o.kind === 'ApplicationSet'))
      if (set.spec.syncPolicy?.preserveResourcesOnDeletion === true)
        expect(cascade(set.spec.template.metadata.finalizers), set.metadata.name).toEqual([]);
    const set = applicationSet(corpus.argo, 'pr-canary-production');
    expect(set.spec.syncPolicy.preserveResourcesOnDeletion).toBe(true);
    for (const part of parts) {
      const app = renderApplication(set, {
        ...clusters[1],
        metadata: { labels: { 'pr-canary.dev/environment': 'production' } },
        ...part,
      });
      expect(cascade(app.metadata.finalizers), app.metadata.name).toEqual([]);
    }
  });

  it('renders one platform and one apps Application per labelled cluster, built from this repo', async () => {
    const { corpus } = await realContext();
    const set = applicationSet(corpus.argo, 'pr-canary-production');
    expect(set.spec.generators[0].matrix.generators[0].clusters.selector).toEqual({
      matchLabels: { 'pr-canary.dev/environment': 'production' },
    });
    for (const cluster of clusters) {
      for (const part of parts) {
        const params = {
          ...cluster,
          metadata: { labels: { 'pr-canary.dev/environment': 'production' } },
          ...part,
        };
        const app = renderApplication(set, params);
        expect(app.metadata.name).toBe(`pr-canary-${part.part}-${cluster.nameNormalized}`);
        expect(app.spec.destination).toEqual({ server: cluster.server, namespace: 'apps' });
        expect(app.spec.source).toEqual({
          repoURL: corpus.config.repoURL,
          targetRevision: 'main',
          path: part.path,
        });
        const objects = await buildApplication(app);
        if (part.part === 'apps') expect(inventory(objects)).toEqual(inventory(corpus.overlays.production));
        else expect(inventory(objects)).toContain('Namespace -/pr-canary-system');
      }
    }
  });
});
