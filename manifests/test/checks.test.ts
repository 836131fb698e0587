import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS, type CheckContext } from '../src/checks';
import { dockerfileOf, parseDockerfile } from '../src/image-facts';
import { REPO_ROOT } from '../src/layout';
import type { KubeObject } from '../src/objects';
import { serviceNamed } from '../src/services';
import { brokenCopy, container, find, prApp, realContext, setEnv } from './helper';

// Importing the services' config schemas and metric definitions takes a few seconds.
beforeAll(() => realContext());

type CheckName = keyof typeof CHECKS;

interface Breakage {
  check: CheckName;
  mistake: string;
  /** A fragment of the violation message that names the mistake. */
  expected: RegExp;
  mutate(ctx: CheckContext): void;
}

const appSet = (ctx: CheckContext, name: string) => find(ctx.corpus.argo, 'ApplicationSet', name);
const overlay = (ctx: CheckContext, env: 'production' | 'staging' | 'integration-001') =>
  ctx.corpus.overlays[env];
const deploymentOf = (objects: KubeObject[], name: string) => find(objects, 'Deployment', name);
const prRoute = (ctx: CheckContext) => find(prApp(ctx, 'api-service').objects, 'IngressRoute', 'api-service');
const prGrpcRoute = (ctx: CheckContext) =>
  find(prApp(ctx, 'store-service').objects, 'GRPCRoute', 'store-service-pr-7');
const withoutApp = (ctx: CheckContext, kind: string, number: string) => {
  ctx.corpus.prApps = ctx.corpus.prApps.filter((p) => !(p.kind === kind && p.number === number));
};
/** PR 7's canary of `service` without the objects `drop` matches. */
const dropFromPr = (ctx: CheckContext, service: string, drop: (o: KubeObject) => boolean) => {
  const app = prApp(ctx, service);
  app.objects = app.objects.filter((o) => !drop(o));
};
/** PR 7's route moved from its canary of `from` (which goes) to its canary of `to`. */
const moveRoute = (ctx: CheckContext, route: KubeObject, from: string, to: string) => {
  withoutApp(ctx, from, '7');
  prApp(ctx, to).objects.push(route);
};
/** The image facts of a Dockerfile edited the way a change in apps/ might edit it. */
const editedDockerfile = (ctx: CheckContext, service: string, from: string, to: string) => {
  const file = dockerfileOf(serviceNamed(service));
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  if (!text.includes(from)) throw new Error(`test fixture: ${file} has no "${from}"`);
  ctx.images[service] = parseDockerfile(text.replace(from, to), file);
};

/**
 * The same mistake at either hop: PR 7's route moved to its canary of a service the route table gives
 * no route of that hop (an edge route on a store-only PR, a mesh route on a PR without a store canary).
 */
const ROUTES_WITHOUT_A_CANARY: Breakage[] = [
  { check: 'prEdgeRoute', hop: 'edge', route: prRoute, from: 'api-service', to: 'store-service' } as const,
  {
    check: 'prMeshRoute',
    hop: 'mesh',
    route: prGrpcRoute,
    from: 'store-service',
    to: 'api-service',
  } as const,
].map(({ check, hop, route, from, to }) => ({
  check,
  mistake: `a ${hop} route for a PR whose only canary is ${to}, which the route table gives none`,
  expected: new RegExp(`PR 7 has no canary of ${to} routed this way, so the route table has no ${hop} route`),
  mutate: (ctx) => moveRoute(ctx, route(ctx), from, to),
}));

const BREAKAGES: Breakage[] = [
  ...ROUTES_WITHOUT_A_CANARY,
  {
    check: 'serviceBases',
    mistake: "a base whose facts are not the registry's (another gRPC service)",
    expected: /base\/store-service: facts .*"grpcService":"store.v1.Other".* are not the registry's/,
    mutate: (ctx) => {
      const [facts] = ctx.corpus.facts['store-service'] ?? [];
      if (facts) facts.grpcService = 'store.v1.Other';
    },
  },
  {
    check: 'serviceBases',
    mistake: 'a Node service without its facts (a base not made from components/service)',
    expected: /base\/api-service: needs one ServiceFacts in facts.yaml \(the registry's facts\), found 0/,
    mutate: (ctx) => {
      ctx.corpus.facts['api-service'] = [];
    },
  },
  {
    check: 'serviceBases',
    mistake: 'an overlay without a registered service',
    expected: /overlay staging: runs no Deployment web, a registered service/,
    mutate: (ctx) => {
      ctx.corpus.overlays.staging = overlay(ctx, 'staging').filter(
        (o) => !(o.kind === 'Deployment' && o.metadata.name === 'web'),
      );
    },
  },
  {
    check: 'serviceBases',
    mistake: 'a Deployment the registry does not list, and an image from another repository',
    expected:
      /(?=[\s\S]*Deployment apps\/billing: is no registered service)(?=[\s\S]*image ghcr.io\/pr-canary\/api:0.1.0 is not from ghcr.io\/pr-canary\/api-service)/,
    mutate: (ctx) => {
      const api = deploymentOf(overlay(ctx, 'production'), 'api-service');
      const extra = structuredClone(api);
      extra.metadata.name = 'billing';
      overlay(ctx, 'production').push(extra);
      container(api).image = 'ghcr.io/pr-canary/api:0.1.0';
    },
  },
  {
    check: 'prApplicationSets',
    mistake: "a PR ApplicationSet selecting another service's label",
    expected:
      /ApplicationSet argocd\/pr-canary-store-service: selects PRs labelled \["canary\/api-service"\], not \["canary\/store-service"\]/,
    mutate: (ctx) => {
      const set = find(ctx.corpus.argo, 'ApplicationSet', 'pr-canary-store-service');
      set.spec.generators[0].matrix.generators[0].pullRequest.github.labels = ['canary/api-service'];
    },
  },
  {
    check: 'prApplicationSets',
    mistake: 'a canaried service without its PR ApplicationSet',
    expected: /ApplicationSet pr-canary-api-service: missing: the registry canaries its service/,
    mutate: (ctx) => {
      ctx.corpus.argo = ctx.corpus.argo.filter((o) => o.metadata.name !== 'pr-canary-api-service');
    },
  },
  {
    check: 'repoUrl',
    mistake: 'an ApplicationSet pointing at a truncated repo URL',
    expected: /repoURL https:\/\/github.com\/pr-canary\/pr-canar is not/,
    mutate: (ctx) => {
      appSet(ctx, 'pr-canary-api-service').spec.template.spec.source.repoURL =
        'https://github.com/pr-canary/pr-canar';
    },
  },
  {
    check: 'repoUrl',
    mistake: 'a pull request generator watching another repository',
    expected: /watches pr-canary\/pr-canary-config/,
    mutate: (ctx) => {
      appSet(ctx, 'pr-canary-store-service').spec.generators[0].matrix.generators[0].pullRequest.github.repo =
        'pr-canary-config';
    },
  },
  {
    check: 'repoUrl',
    mistake: 'the deploy records read from a branch CI does not write',
    expected:
      /git generator reads https:\/\/github.com\/pr-canary\/pr-canary.git@main, not the deploy records/,
    mutate: (ctx) => {
      appSet(ctx, 'pr-canary-api-service').spec.generators[0].matrix.generators[1].git.revision = 'main';
    },
  },
  {
    check: 'argoKustomizeOptions',
    mistake: 'a Kustomize option Argo CD does not have (resources)',
    expected: /no Kustomize option "resources"/,
    mutate: (ctx) => {
      appSet(ctx, 'pr-canary-store-service').spec.template.spec.source.kustomize.resources = ['../extra'];
    },
  },
  {
    check: 'targetRevision',
    mistake: "a PR app rendering the PR's own manifests (PR-controlled content with main's rights)",
    expected: /targetRevision \{\{\.head_sha\}\} should be main \(a PR revision/,
    mutate: (ctx) => {
      appSet(ctx, 'pr-canary-api-service').spec.template.spec.source.targetRevision = '{{.head_sha}}';
    },
  },
  {
    check: 'targetRevision',
    mistake: "a stable app pinned to another repo's revision",
    expected: /targetRevision v2\.3\.1 should be main/,
    mutate: (ctx) => {
      find(ctx.corpus.argo, 'Application', 'pr-canary-staging').spec.source.targetRevision = 'v2.3.1';
    },
  },
  {
    check: 'automatedSync',
    mistake: 'staging without self-heal',
    expected: /prune and selfHeal/,
    mutate: (ctx) => {
      delete find(ctx.corpus.argo, 'Application', 'pr-canary-staging').spec.syncPolicy.automated.selfHeal;
    },
  },
  {
    check: 'automatedSync',
    mistake: 'a PR namespace from CreateNamespace=true',
    expected: /argo-cd#7875/,
    mutate: (ctx) => {
      appSet(ctx, 'pr-canary-api-service').spec.template.spec.syncPolicy.syncOptions = [
        'CreateNamespace=true',
      ];
    },
  },
  {
    check: 'syncRetry',
    mistake: 'a PR ApplicationSet without a sync retry (one failed first sync waits for the next push)',
    expected: /ApplicationSet argocd\/pr-canary-api-service: automated sync without syncPolicy.retry/,
    mutate: (ctx) => {
      delete appSet(ctx, 'pr-canary-api-service').spec.template.spec.syncPolicy.retry;
    },
  },
  {
    check: 'syncRetry',
    mistake: 'a retry without bound',
    expected: /retry.limit -1 is not a bounded retry/,
    mutate: (ctx) => {
      find(ctx.corpus.argo, 'Application', 'pr-canary-root').spec.syncPolicy.retry.limit = -1;
    },
  },
  {
    check: 'flaggerOwnedFields',
    mistake: 'Argo CD reverting the replicas Flagger set',
    expected: /ignore Deployment \/spec\/replicas/,
    mutate: (ctx) => {
      delete appSet(ctx, 'pr-canary-production').spec.template.spec.ignoreDifferences;
    },
  },
  {
    check: 'projectPermissions',
    mistake: 'a platform Application without destination.namespace (argo-cd#11510)',
    expected:
      /Application pr-canary-platform-staging: destination staging\/"" is not permitted by AppProject pr-canary/,
    mutate: (ctx) => {
      const app = ctx.corpus.stableApps.find((a) => a.app.metadata.name === 'pr-canary-platform-staging');
      if (app === undefined) throw new Error('test fixture: no platform-staging app');
      delete app.app.spec.destination.namespace;
    },
  },
  {
    check: 'projectPermissions',
    mistake: 'a PR app writing into a namespace its project does not list',
    expected:
      /namespace kube-system of core\/ConfigMap from Application .* is not a destination of AppProject/,
    mutate: (ctx) => {
      prApp(ctx, 'store-service').objects.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x', namespace: 'kube-system' },
      });
    },
  },
  {
    check: 'projectPermissions',
    mistake: 'a cluster-scoped kind the project does not whitelist',
    expected:
      /cluster-scoped rbac.authorization.k8s.io\/ClusterRoleBinding from Application pr-canary-platform-integration-001 is not permitted/,
    mutate: (ctx) => {
      const app = ctx.corpus.stableApps.find(
        (a) => a.app.metadata.name === 'pr-canary-platform-integration-001',
      );
      app?.objects.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'janitor-admin' },
      });
    },
  },
  {
    check: 'projectWaves',
    mistake: 'AppProjects in the default wave, after the platform apps of wave -1 that name them',
    expected:
      /Application argocd\/pr-canary-platform-staging: sync wave -1 is not after its AppProject pr-canary's \(0\)/,
    mutate: (ctx) => {
      for (const project of ctx.corpus.argo.filter((o) => o.kind === 'AppProject'))
        delete project.metadata.annotations?.['argocd.argoproj.io/sync-wave'];
    },
  },
  {
    check: 'projectWaves',
    mistake: 'a PR ApplicationSet in the same wave as its AppProject',
    expected:
      /ApplicationSet argocd\/pr-canary-api-service: sync wave -2 is not after its AppProject pr-canary-previews-api/,
    mutate: (ctx) => {
      const set = appSet(ctx, 'pr-canary-api-service');
      set.metadata.annotations = { ...set.metadata.annotations, 'argocd.argoproj.io/sync-wave': '-2' };
    },
  },
  {
    check: 'applicationNames',
    mistake: 'a production app named after the raw cluster name (an EKS ARN)',
    expected:
      /Application pr-canary-apps-arn:aws:eks:eu-west-1:111122223333:cluster\/pr-canary-prod-eu: is not a valid object name/,
    mutate: (ctx) => {
      const app = ctx.corpus.stableApps.find((a) => a.app.metadata.name.startsWith('pr-canary-apps-arn-'));
      if (app === undefined) throw new Error('test fixture: no production apps app');
      app.app.metadata.name = 'pr-canary-apps-arn:aws:eks:eu-west-1:111122223333:cluster/pr-canary-prod-eu';
    },
  },
  {
    check: 'prNamespaceGuardrails',
    mistake: 'a PR namespace without a ResourceQuota',
    expected: /no ResourceQuota in api-canary-pr-7/,
    mutate: (ctx) => dropFromPr(ctx, 'api-service', (o) => o.kind === 'ResourceQuota'),
  },
  {
    check: 'prNamespaceGuardrails',
    mistake: 'a PR namespace without a default-deny NetworkPolicy',
    expected: /no default-deny/,
    mutate: (ctx) => dropFromPr(ctx, 'store-service', (o) => o.metadata.name === 'default-deny'),
  },
  {
    check: 'prNamespaceGuardrails',
    mistake: 'a PR app that does not own its Namespace',
    expected: /does not own its Namespace store-canary-pr-7/,
    mutate: (ctx) => dropFromPr(ctx, 'store-service', (o) => o.kind === 'Namespace'),
  },
  {
    check: 'immutablePrImages',
    mistake: 'a mutable PR image tag',
    expected: /ghcr.io\/pr-canary\/api-service:pr-7 is not the deployable immutable pr-7-a1b2c3d4 tag/,
    mutate: (ctx) => {
      container(deploymentOf(prApp(ctx, 'api-service').objects, 'api-service')).image =
        'ghcr.io/pr-canary/api-service:pr-7';
    },
  },
  {
    check: 'prIsolation',
    mistake: 'a PR app creating a same-named object in the stable namespace',
    expected: /would take over the stable GRPCRoute/,
    mutate: (ctx) => {
      find(prApp(ctx, 'store-service').objects, 'GRPCRoute', 'store-service-pr-7').metadata.name =
        'store-service-stable';
    },
  },
  {
    check: 'prSharedNamespaces',
    mistake: 'a PR store app writing a Deployment into the stable namespace',
    expected:
      /Deployment apps\/store-service-pr-7: PR app store-service-pr-7 may write outside store-canary-pr-7 only/,
    mutate: (ctx) => {
      const p = prApp(ctx, 'store-service');
      const d = structuredClone(find(p.objects, 'Deployment', 'store-service'));
      d.metadata = { ...d.metadata, name: 'store-service-pr-7', namespace: 'apps' };
      p.objects.push(d);
    },
  },
  {
    check: 'prSharedNamespaces',
    mistake: 'a PR api app writing its route into pr-canary-system',
    expected:
      /IngressRoute pr-canary-system\/api-service: PR app api-service-pr-7 may write outside api-canary-pr-7/,
    mutate: (ctx) => {
      find(prApp(ctx, 'api-service').objects, 'IngressRoute', 'api-service').metadata.namespace =
        'pr-canary-system';
    },
  },
  {
    check: 'separateTables',
    mistake: 'a canary sharing the stable DynamoDB table',
    expected: /shares the stable table pr-canary-items/,
    mutate: (ctx) =>
      setEnv(
        deploymentOf(prApp(ctx, 'store-service').objects, 'store-service'),
        'DYNAMODB_TABLE',
        'pr-canary-items',
      ),
  },
  {
    check: 'separateTables',
    mistake: "no cleanup of the canary's table when the PR closes",
    expected: /no PostDelete cleanup deletes pr-canary-items-pr-7/,
    mutate: (ctx) => dropFromPr(ctx, 'store-service', (o) => o.kind === 'Job'),
  },
  {
    check: 'storeAwsIdentity',
    mistake: 'a PR store canary without the IRSA role annotation',
    expected: /ServiceAccount store-canary-pr-7\/store-service: no eks.amazonaws.com\/role-arn/,
    mutate: (ctx) => {
      delete find(prApp(ctx, 'store-service').objects, 'ServiceAccount', 'store-service').metadata
        .annotations;
    },
  },
  {
    check: 'storeAwsIdentity',
    mistake: 'production without the IRSA slot',
    expected: /ServiceAccount apps\/store-service: no eks.amazonaws.com\/role-arn/,
    mutate: (ctx) => {
      find(overlay(ctx, 'production'), 'ServiceAccount', 'store-service').metadata.annotations = {};
    },
  },
  {
    check: 'hookNamespace',
    mistake: 'the cleanup hook inside the namespace the PR deletes',
    expected: /PostDelete hook runs in a namespace deleted with the PR/,
    mutate: (ctx) => {
      find(prApp(ctx, 'store-service').objects, 'Job', 'dynamodb-table-cleanup-pr-7').metadata.namespace =
        'store-canary-pr-7';
    },
  },
  {
    check: 'traefikV3',
    mistake: 'the Traefik v2 API group',
    expected: /Traefik v2 API group/,
    mutate: (ctx) => {
      find(overlay(ctx, 'staging'), 'IngressRoute', 'web').apiVersion = 'traefik.containo.us/v1alpha1';
    },
  },
  {
    check: 'traefikV3',
    mistake: 'the v2 Headers() matcher',
    expected: /v2 matcher/,
    mutate: (ctx) => {
      find(prApp(ctx, 'api-service').objects, 'IngressRoute', 'api-service').spec.routes[0].match =
        'Host(`api.int-001.example.com`) && Headers(`X-Canary`, `7`)';
    },
  },
  {
    check: 'prEdgeRoute',
    mistake: 'a PR route with a priority below stable',
    expected: /priority 5 must be above stable's 10/,
    mutate: (ctx) => {
      find(prApp(ctx, 'api-service').objects, 'IngressRoute', 'api-service').spec.routes[0].priority = 5;
    },
  },
  {
    check: 'prEdgeRoute',
    mistake: "a PR route matching another PR's number",
    expected: /is not Host\(`api.int-001.example.com`\) && Header\(`X-Canary`, `7`\)/,
    mutate: (ctx) => {
      find(prApp(ctx, 'api-service').objects, 'IngressRoute', 'api-service').spec.routes[0].match =
        'Host(`api.int-001.example.com`) && Header(`X-Canary`, `77`)';
    },
  },
  {
    check: 'prEdgeRoute',
    mistake: 'a PR edge route in the stable namespace (Traefik would need allowCrossNamespace)',
    expected: /PR route outside the canary's namespace api-canary-pr-7/,
    mutate: (ctx) => {
      prRoute(ctx).metadata.namespace = 'apps';
    },
  },
  {
    check: 'prEdgeRoute',
    mistake: 'a PR edge route sending to the stable api',
    expected: /sends to Service apps\/api-service, not Service api-canary-pr-7\/api-service/,
    mutate: (ctx) => {
      prRoute(ctx).spec.routes[0].services[0].namespace = 'apps';
    },
  },
  {
    check: 'prEdgeRoute',
    mistake: 'stable integration-001 served on another host than the PR routes',
    expected:
      /stable api-service is served at https:\/\/api.int-002.example.com, not at api.int-001.example.com/,
    mutate: (ctx) => {
      find(overlay(ctx, 'integration-001'), 'IngressRoute', 'api-service').spec.routes[0].match =
        'Host(`api.int-002.example.com`)';
    },
  },
  {
    check: 'prMeshRoute',
    mistake: 'no catch-all GRPCRoute to stable next to the PR routes',
    expected: /no catch-all GRPCRoute to apps\/store-service/,
    mutate: (ctx) => {
      ctx.corpus.overlays['integration-001'] = overlay(ctx, 'integration-001').filter(
        (o) => o.kind !== 'GRPCRoute',
      );
    },
  },
  {
    check: 'prMeshRoute',
    mistake: "a PR mesh route sending to another PR's store canary",
    expected: /backend must be store-canary-pr-7\/store-service/,
    mutate: (ctx) => {
      prGrpcRoute(ctx).spec.rules[0].backendRefs[0].namespace = 'store-canary-pr-8';
    },
  },
  {
    check: 'prMeshRoute',
    mistake: 'a PR mesh route matching a metadata key the api does not send',
    expected: /match must be Exact x-canary "7"/,
    mutate: (ctx) => {
      prGrpcRoute(ctx).spec.rules[0].matches[0].headers[0].name = 'x-canary-pr';
    },
  },
  {
    check: 'grpcRouteTargets',
    mistake: 'a GRPCRoute parent that is not the Service the api dials',
    expected:
      /callers dial store-service:80 \(STORE_ADDR\), but the route is attached to store-service.apps.svc.cluster.local:80/,
    mutate: (ctx) =>
      setEnv(deploymentOf(overlay(ctx, 'integration-001'), 'api-service'), 'STORE_ADDR', 'store-service:80'),
  },
  {
    check: 'grpcRouteTargets',
    mistake: 'a GRPCRoute parent Service that selects no pods',
    expected: /parent Service store-service selects no pods/,
    mutate: (ctx) => {
      find(overlay(ctx, 'integration-001'), 'Service', 'store-service').spec.selector = { app: 'store' };
    },
  },
  {
    check: 'grpcRouteTargets',
    mistake: 'a PR GRPCRoute backend on a port the canary Service lacks',
    expected: /backend store-canary-pr-7\/store-service:8080 is not a Service port/,
    mutate: (ctx) => {
      find(
        prApp(ctx, 'store-service').objects,
        'GRPCRoute',
        'store-service-pr-7',
      ).spec.rules[0].backendRefs[0].port = 8080;
    },
  },
  {
    check: 'prMeshRoute',
    mistake: 'a PR GRPCRoute with a non-exact x-canary match',
    expected: /match must be Exact x-canary "7"/,
    mutate: (ctx) => {
      find(
        prApp(ctx, 'store-service').objects,
        'GRPCRoute',
        'store-service-pr-7',
      ).spec.rules[0].matches[0].headers[0].type = 'RegularExpression';
    },
  },
  {
    check: 'prMeshRoute',
    mistake: 'no ReferenceGrant for the cross-namespace backend',
    expected: /no ReferenceGrant in store-canary-pr-7/,
    mutate: (ctx) => dropFromPr(ctx, 'store-service', (o) => o.kind === 'ReferenceGrant'),
  },
  {
    check: 'grpcAppProtocol',
    mistake: 'appProtocol: grpc on the store Service',
    expected: /port grpc appProtocol grpc/,
    mutate: (ctx) => {
      find(overlay(ctx, 'integration-001'), 'Service', 'store-service').spec.ports[0].appProtocol = 'grpc';
    },
  },
  {
    check: 'opaqueStorePorts',
    mistake: 'the store Service marked opaque on its port',
    expected: /Service apps\/store-service: config.linkerd.io\/opaque-ports: "25,80"/,
    mutate: (ctx) => {
      const svc = find(overlay(ctx, 'integration-001'), 'Service', 'store-service');
      svc.metadata.annotations = { 'config.linkerd.io/opaque-ports': '25,80' };
    },
  },
  {
    check: 'opaqueStorePorts',
    mistake: "a PR store namespace making a range over the store's container port opaque",
    expected: /Namespace \(no namespace\)\/store-canary-pr-7: config.linkerd.io\/opaque-ports: "8000-8100"/,
    mutate: (ctx) => {
      const ns = find(prApp(ctx, 'store-service').objects, 'Namespace', 'store-canary-pr-7');
      ns.metadata.annotations = { ...ns.metadata.annotations, 'config.linkerd.io/opaque-ports': '8000-8100' };
    },
  },
  {
    check: 'opaqueStorePorts',
    mistake: 'the store pod template naming its grpc port opaque',
    expected: /Deployment apps\/store-service: config.linkerd.io\/opaque-ports: "grpc"/,
    mutate: (ctx) => {
      const d = deploymentOf(overlay(ctx, 'production'), 'store-service');
      d.spec.template.metadata.annotations = { 'config.linkerd.io/opaque-ports': 'grpc' };
    },
  },
  {
    check: 'flaggerMeshConflict',
    mistake: 'a GRPCRoute on the Service whose HTTPRoute Flagger drives',
    expected: /Flagger's HTTPRoute on store-service is ignored/,
    mutate: (ctx) => {
      overlay(ctx, 'production').push(
        find(overlay(ctx, 'integration-001'), 'GRPCRoute', 'store-service-stable'),
      );
    },
  },
  {
    check: 'progressiveDelivery',
    mistake: 'a Node service released to production with no Canary (a service added without one)',
    expected: /overlay production: needs one Flagger Canary store-service .*found 0/,
    mutate: (ctx) => {
      ctx.corpus.overlays.production = overlay(ctx, 'production').filter(
        (o) => !(o.kind === 'Canary' && o.metadata.name === 'store-service'),
      );
    },
  },
  {
    check: 'progressiveDelivery',
    mistake: 'a Canary for a service that exports no pr_canary_* metrics (the static web UI)',
    expected: /Canary apps\/web: is not a Node service of the registry/,
    mutate: (ctx) => {
      const web = structuredClone(find(overlay(ctx, 'production'), 'Canary', 'api-service'));
      web.metadata.name = 'web';
      overlay(ctx, 'production').push(web);
    },
  },
  {
    check: 'progressiveDelivery',
    mistake: 'an edge Canary whose route still sends to the plain Service (no weight is shifted)',
    expected: /IngressRoute api-service must send only to the TraefikService api-service Flagger writes/,
    mutate: (ctx) => {
      find(overlay(ctx, 'production'), 'IngressRoute', 'api-service').spec.routes[0].services = [
        { kind: 'Service', name: 'api-service', port: 80 },
      ];
    },
  },
  {
    check: 'progressiveDelivery',
    mistake: "a mesh Canary on the edge's provider, and its own Service still shipped",
    expected:
      /(?=[\s\S]*Canary apps\/store-service: a mesh service shifts weight with provider gatewayapi:v1.*not traefik)(?=[\s\S]*Service store-service is shipped too)/,
    mutate: (ctx) => {
      const canary = find(overlay(ctx, 'production'), 'Canary', 'store-service');
      canary.spec.provider = 'traefik';
      const service = structuredClone(find(overlay(ctx, 'staging'), 'Service', 'store-service'));
      overlay(ctx, 'production').push(service);
    },
  },
  {
    check: 'progressiveDelivery',
    mistake: "a Canary on another service's Deployment and port",
    expected:
      /(?=[\s\S]*targets Deployment store-service, not the Deployment api-service)(?=[\s\S]*service port 80 → 9090 \(http\) is not 80 → 8080 \(http\))/,
    mutate: (ctx) => {
      const canary = find(overlay(ctx, 'production'), 'Canary', 'api-service');
      canary.spec.targetRef.name = 'store-service';
      canary.spec.service.targetPort = 9090;
    },
  },
  {
    check: 'progressiveDelivery',
    mistake: "flagger-loadtester shut out of a service's pods (its webhooks fail, every release rolls back)",
    expected: /Canary apps\/store-service: flagger-loadtester cannot reach store-service:8080/,
    mutate: (ctx) => {
      const policy = find(overlay(ctx, 'production'), 'NetworkPolicy', 'flagger-loadtester-to-workloads');
      policy.spec.podSelector.matchExpressions[0].values = ['api-service'];
    },
  },
  {
    check: 'progressiveDelivery',
    mistake: 'a gRPC load webhook calling ghz without --proto (the services register no reflection)',
    expected: /Canary apps\/store-service: webhook load: ghz without --proto needs server reflection/,
    mutate: (ctx) => {
      const canary = find(overlay(ctx, 'production'), 'Canary', 'store-service');
      const load = canary.spec.analysis.webhooks.find((w: { name: string }) => w.name === 'load');
      load.metadata.cmd =
        'ghz -z 1m -r 10 --insecure --call grpc.health.v1.Health/Check store-service-canary.apps:80';
    },
  },
  {
    check: 'canaryWaves',
    mistake:
      'Canaries in a wave after the Deployments (the api waits for a store Service only Flagger creates)',
    // Every Deployment of the overlay is named (a service added with new-service too).
    expected:
      /Canary apps\/store-service: sync wave 1 is after Deployment (?:[a-z0-9-]+ \(0\), )*api-service \(0\), (?:[a-z0-9-]+ \(0\), )*store-service \(0\).*\(overlay production\)/,
    mutate: (ctx) => {
      for (const canary of overlay(ctx, 'production').filter((o) => o.kind === 'Canary'))
        canary.metadata.annotations = { 'argocd.argoproj.io/sync-wave': '1' };
    },
  },
  {
    check: 'productionStripsCanaryHeader',
    mistake: 'production forwarding X-Canary from the internet',
    expected: /does not strip X-Canary/,
    mutate: (ctx) => {
      delete find(overlay(ctx, 'production'), 'IngressRoute', 'api-service').spec.routes[0].middlewares;
    },
  },
  {
    check: 'productionStripsCanaryHeader',
    mistake: 'production services trusting the header',
    expected: /CANARY_HEADER_TRUSTED must be false/,
    mutate: (ctx) =>
      setEnv(deploymentOf(overlay(ctx, 'production'), 'store-service'), 'CANARY_HEADER_TRUSTED', 'true'),
  },
  {
    check: 'edgeCertificates',
    mistake: 'a host served over TLS that the certificate does not list',
    expected: /IngressRoute apps\/web: no Certificate covers app.staging.example.com \(overlay staging\)/,
    mutate: (ctx) => {
      find(overlay(ctx, 'staging'), 'Certificate', 'pr-canary-edge').spec.dnsNames = [
        'api.staging.example.com',
      ];
    },
  },
  {
    check: 'edgeCertificates',
    mistake: 'PR routes on a host the integration certificate does not cover (tls: {} picks by SNI)',
    expected: /IngressRoute api-canary-pr-7\/api-service: no Certificate covers api.int-001.example.com/,
    mutate: (ctx) => {
      find(overlay(ctx, 'integration-001'), 'Certificate', 'pr-canary-edge').spec.dnsNames = [
        'app.int-001.example.com',
      ];
    },
  },
  {
    check: 'edgeCertificates',
    mistake:
      'an https redirect that outranks the ACME HTTP-01 solver (challenges redirected, no certificate)',
    expected:
      /IngressRoute apps\/https-redirect: plain-HTTP route for api.staging.example.com at priority 1000 outranks cert-manager's HTTP-01 solver \(77 or more\).*\(overlay staging\)/,
    mutate: (ctx) => {
      find(overlay(ctx, 'staging'), 'IngressRoute', 'https-redirect').spec.routes[0].priority = 1000;
    },
  },
  {
    check: 'edgeCertificates',
    mistake: 'a plain-HTTP route for a certified host at its default priority (the length of its rule)',
    expected: /plain-HTTP route for app.int-001.example.com at priority \(rule length\) outranks/,
    mutate: (ctx) => {
      delete find(overlay(ctx, 'integration-001'), 'IngressRoute', 'https-redirect').spec.routes[0].priority;
    },
  },
  {
    check: 'corsOrigins',
    mistake: 'a PR api canary answering CORS unlike stable (preflights carry X-Canary)',
    expected:
      /https:\/\/pr-7.int-001.example.com differs from stable integration-001's https:\/\/app.int-001.example.com/,
    mutate: (ctx) =>
      setEnv(
        deploymentOf(prApp(ctx, 'api-service').objects, 'api-service'),
        'CORS_ALLOWED_ORIGINS',
        'https://pr-7.int-001.example.com',
      ),
  },
  {
    check: 'corsOrigins',
    mistake: 'a PR api canary with no CORS configuration at all',
    expected: /CORS_ALLOWED_ORIGINS \(unset\) differs from stable/,
    mutate: (ctx) =>
      setEnv(
        deploymentOf(prApp(ctx, 'api-service').objects, 'api-service'),
        'CORS_ALLOWED_ORIGINS',
        undefined,
      ),
  },
  {
    check: 'corsOrigins',
    mistake: "an api that does not allow its environment's web UI",
    expected: /does not allow the web UI at https:\/\/app.staging.example.com \(staging\)/,
    mutate: (ctx) =>
      setEnv(
        deploymentOf(overlay(ctx, 'staging'), 'api-service'),
        'CORS_ALLOWED_ORIGINS',
        'https://app.example.com',
      ),
  },
  {
    check: 'corsOrigins',
    mistake: 'a PR edge route that lets only some methods (not OPTIONS) reach the canary',
    expected: /restricts methods: CORS preflights \(OPTIONS\) must reach the canary/,
    mutate: (ctx) => {
      prRoute(ctx).spec.routes[0].match += ' && Method(`GET`, `POST`, `PUT`, `DELETE`)';
    },
  },
  {
    check: 'webApiUrl',
    mistake: "the web UI pointed at another environment's api",
    expected:
      /config.json apiUrl https:\/\/api.example.com is not the api edge https:\/\/api.staging.example.com/,
    mutate: (ctx) => {
      const config = overlay(ctx, 'staging').find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('web-config'),
      );
      if (config === undefined) throw new Error('test fixture: no web-config ConfigMap in staging');
      config.data['config.json'] = '{"apiUrl": "https://api.example.com"}';
    },
  },
  {
    check: 'webApiUrl',
    mistake: 'the web UI without its runtime config (it would call localhost)',
    expected: /no config.json mounted at \/usr\/share\/nginx\/html\/config.json \(production\)/,
    mutate: (ctx) => {
      const web = container(deploymentOf(overlay(ctx, 'production'), 'web'));
      web.volumeMounts = web.volumeMounts.filter((m: { name: string }) => m.name !== 'config');
    },
  },
  {
    check: 'selectorsMatch',
    mistake: "a Deployment selector that doesn't match its pod labels",
    expected: /selector does not match its pod template/,
    mutate: (ctx) => {
      deploymentOf(overlay(ctx, 'staging'), 'web').spec.template.metadata.labels['app.kubernetes.io/name'] =
        'webapp';
    },
  },
  {
    check: 'selectorsMatch',
    mistake: 'a PodDisruptionBudget that selects no pods',
    expected: /PodDisruptionBudget apps\/api-service: selector matches no pods/,
    mutate: (ctx) => {
      find(overlay(ctx, 'staging'), 'PodDisruptionBudget', 'api-service').spec.selector.matchLabels = {
        app: 'api',
      };
    },
  },
  {
    check: 'references',
    mistake: 'an HPA pointing at a Deployment that does not exist',
    expected: /scale target Deployment api does not exist/,
    mutate: (ctx) => {
      find(overlay(ctx, 'staging'), 'HorizontalPodAutoscaler', 'api-service').spec.scaleTargetRef.name =
        'api';
    },
  },
  {
    check: 'references',
    mistake: 'a ServiceMonitor selecting no Service with its metrics port',
    expected: /a Service with its labels and a port named metrics does not exist/,
    mutate: (ctx) => {
      find(prApp(ctx, 'store-service').objects, 'ServiceMonitor', 'store-service').spec.selector.matchLabels[
        'app.kubernetes.io/name'
      ] = 'store';
    },
  },
  {
    check: 'references',
    mistake: 'a Flagger Canary naming a MetricTemplate that does not exist',
    expected: /MetricTemplate grpc-error-ratio does not exist/,
    mutate: (ctx) => {
      find(overlay(ctx, 'production'), 'Canary', 'store-service').spec.analysis.metrics[0].templateRef.name =
        'grpc-error-ratio';
    },
  },
  {
    check: 'hpaContainerMetrics',
    mistake: "an HPA on the pod's CPU (the Linkerd proxy has no CPU request)",
    expected:
      /HorizontalPodAutoscaler apps\/api-service: scales on the pod's CPU \(type Resource\).*\(overlay production\)/,
    mutate: (ctx) => {
      find(overlay(ctx, 'production'), 'HorizontalPodAutoscaler', 'api-service').spec.metrics = [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ];
    },
  },
  {
    check: 'hpaContainerMetrics',
    mistake: 'a per-container CPU metric naming a container the Deployment does not have',
    expected:
      /HorizontalPodAutoscaler store-canary-pr-7\/store-service: ContainerResource container SERVICE is not a container of Deployment store-service \(store-service\)/,
    mutate: (ctx) => {
      find(
        prApp(ctx, 'store-service').objects,
        'HorizontalPodAutoscaler',
        'store-service',
      ).spec.metrics[0].containerResource.container = 'SERVICE';
    },
  },
  {
    check: 'pinnedImages',
    mistake: 'a :latest image',
    expected: /ghcr.io\/pr-canary\/web:latest is not pinned/,
    mutate: (ctx) => {
      container(deploymentOf(overlay(ctx, 'production'), 'web')).image = 'ghcr.io/pr-canary/web:latest';
    },
  },
  {
    check: 'pinnedImages',
    mistake: 'an untagged image',
    expected: /docker.io\/nginx\/nginx-prometheus-exporter is not pinned/,
    mutate: (ctx) => {
      container(deploymentOf(overlay(ctx, 'staging'), 'web'), 'nginx-exporter').image =
        'docker.io/nginx/nginx-prometheus-exporter';
    },
  },
  {
    check: 'hardenedPods',
    mistake: 'a writable root filesystem',
    expected: /api-service: root filesystem is writable/,
    mutate: (ctx) => {
      const c = container(deploymentOf(prApp(ctx, 'api-service').objects, 'api-service'));
      c.securityContext.readOnlyRootFilesystem = false;
    },
  },
  {
    check: 'hardenedPods',
    mistake: 'a container keeping a Linux capability',
    expected: /store-service: capabilities not dropped/,
    mutate: (ctx) => {
      const c = container(deploymentOf(prApp(ctx, 'store-service').objects, 'store-service'));
      c.securityContext.capabilities = { drop: ['ALL'], add: ['NET_ADMIN'] };
    },
  },
  {
    check: 'hardenedPods',
    mistake: 'a container without limits',
    expected: /nginx-exporter: no memory limits/,
    mutate: (ctx) => {
      delete container(deploymentOf(overlay(ctx, 'staging'), 'web'), 'nginx-exporter').resources.limits
        .memory;
    },
  },
  {
    check: 'imageContract',
    mistake: 'a pod uid other than the image user',
    expected: /Deployment apps\/web: runs as uid 1000, the image as 101 \(apps\/web\/Dockerfile/,
    mutate: (ctx) => {
      deploymentOf(overlay(ctx, 'staging'), 'web').spec.template.spec.securityContext.runAsUser = 1000;
    },
  },
  {
    check: 'imageContract',
    mistake: 'a Dockerfile changing its USER without the manifests following',
    expected: /api-service: runs as uid 10001, the image as 10002/,
    mutate: (ctx) => editedDockerfile(ctx, 'api-service', 'USER 10001:10001', 'USER 10002:10002'),
  },
  {
    check: 'imageContract',
    mistake: 'a container port the image does not expose',
    expected: /container port 50051 is not one the image exposes \(8080, 9090\)/,
    mutate: (ctx) => {
      container(deploymentOf(overlay(ctx, 'production'), 'store-service')).ports[0].containerPort = 50051;
    },
  },
  {
    check: 'imageContract',
    mistake: 'nginx moved to another port in the image',
    expected: /nginx listens on 8000, not on the http port 8080/,
    mutate: (ctx) => editedDockerfile(ctx, 'web', '    listen 8080;', '    listen 8000;'),
  },
  {
    check: 'imageContract',
    mistake: 'the exporter scraping a stub_status address the image does not serve',
    expected: /no exporter scrapes http:\/\/127.0.0.1:8081\/stub_status/,
    mutate: (ctx) => {
      container(deploymentOf(overlay(ctx, 'integration-001'), 'web'), 'nginx-exporter').args[0] =
        '--nginx.scrape-uri=http://127.0.0.1:8080/stub_status';
    },
  },
  {
    check: 'imageContract',
    mistake: 'nginx-unprivileged on a read-only root without a writable /tmp',
    expected: /\/tmp is not a writable emptyDir, but the image writes there/,
    mutate: (ctx) => {
      const web = container(deploymentOf(overlay(ctx, 'staging'), 'web'));
      web.volumeMounts = web.volumeMounts.filter((m: { mountPath: string }) => m.mountPath !== '/tmp');
    },
  },
  {
    check: 'probes',
    mistake: 'a grpc_health_probe exec probe the image does not contain',
    expected: /readiness probe .*exec.* should be/,
    mutate: (ctx) => {
      container(deploymentOf(overlay(ctx, 'staging'), 'store-service')).readinessProbe = {
        exec: { command: ['/bin/grpc_health_probe', '-addr=:8080'] },
      };
    },
  },
  {
    check: 'probes',
    mistake: 'an HTTP probe on a path the api does not serve',
    expected: /liveness probe .*\/health".* should be/,
    mutate: (ctx) => {
      container(deploymentOf(overlay(ctx, 'production'), 'api-service')).livenessProbe.httpGet.path =
        '/health';
    },
  },
  {
    check: 'serviceEnv',
    mistake: 'an env var name the service does not read',
    expected: /api-service does not read STORE_ADDRESS/,
    mutate: (ctx) => {
      const d = deploymentOf(overlay(ctx, 'staging'), 'api-service');
      setEnv(d, 'STORE_ADDR', undefined);
      setEnv(d, 'STORE_ADDRESS', 'store-service.apps.svc.cluster.local:80');
    },
  },
  {
    check: 'serviceEnv',
    mistake: 'a required variable left out',
    expected: /DYNAMODB_TABLE is required by store-service/,
    mutate: (ctx) =>
      setEnv(deploymentOf(overlay(ctx, 'staging'), 'store-service'), 'DYNAMODB_TABLE', undefined),
  },
  {
    check: 'serviceEnv',
    mistake: 'PORT not matching the container port the probes and Service use',
    expected: /PORT is not the serving container port/,
    mutate: (ctx) => setEnv(deploymentOf(overlay(ctx, 'production'), 'store-service'), 'PORT', '50051'),
  },
  {
    check: 'serviceEnv',
    mistake: 'no collector named, so traces go to localhost in the pod and are dropped silently',
    expected:
      /Deployment store-canary-pr-7\/store-service: OTEL_EXPORTER_OTLP_ENDPOINT must name the collector/,
    mutate: (ctx) =>
      setEnv(
        deploymentOf(prApp(ctx, 'store-service').objects, 'store-service'),
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        undefined,
      ),
  },
  {
    check: 'metricTemplates',
    mistake: 'a query on a metric the services do not export',
    expected: /pr_canary_http_request_total is not a metric the services export/,
    mutate: (ctx) => {
      const t = find(overlay(ctx, 'production'), 'MetricTemplate', 'http-error-rate');
      t.spec.query = t.spec.query.replaceAll('pr_canary_http_requests_total', 'pr_canary_http_request_total');
    },
  },
  {
    check: 'metricTemplates',
    mistake: 'a query on a label the metric does not have',
    expected: /pr_canary_grpc_server_handled_total has no label code/,
    mutate: (ctx) => {
      const t = find(overlay(ctx, 'production'), 'MetricTemplate', 'grpc-error-rate');
      t.spec.query = t.spec.query.replace('grpc_code=~', 'code=~');
    },
  },
  {
    check: 'metricTemplates',
    mistake: 'an error count without a fallback (no errors = no values = a failed check, a rollback)',
    expected: /MetricTemplate apps\/http-error-rate: the errors \(status_code=~"5.."\) do not fall back to 0/,
    mutate: (ctx) => {
      const t = find(overlay(ctx, 'production'), 'MetricTemplate', 'http-error-rate');
      t.spec.query = t.spec.query.replace('100 * (sum(', '100 * sum(').replace(' or on() vector(0))', '');
    },
  },
  {
    check: 'metricTemplates',
    mistake: 'the whole ratio falling back to 0 (no traffic would pass as 0 % errors)',
    expected:
      /MetricTemplate apps\/grpc-error-rate: the errors \(grpc_code=~"UNKNOWN.*"\) do not fall back to 0/,
    mutate: (ctx) => {
      const t = find(overlay(ctx, 'production'), 'MetricTemplate', 'grpc-error-rate');
      t.spec.query = `${t.spec.query.replace('100 * (sum(', '100 * sum(').replace(' or on() vector(0))', '')} or on() vector(0)`;
    },
  },
  {
    check: 'metricTemplates',
    mistake: 'a query Prometheus cannot parse',
    expected: /grpc-latency-p99: query is not PromQL: cannot read PromQL/,
    mutate: (ctx) => {
      const t = find(overlay(ctx, 'production'), 'MetricTemplate', 'grpc-latency-p99');
      t.spec.query = t.spec.query.replace('sum by (le)', 'sum by (le');
    },
  },
];

describe('policy checks pass on the real manifests', () => {
  it.each(Object.keys(CHECKS) as CheckName[])('%s', async (name) => {
    expect(CHECKS[name](await realContext())).toEqual([]);
  });
});

describe('each policy check fails when its mistake is reintroduced', () => {
  it('has at least one breakage for every check', () => {
    const covered = new Set(BREAKAGES.map((b) => b.check));
    expect(Object.keys(CHECKS).filter((name) => !covered.has(name as CheckName))).toEqual([]);
  });

  it.each(BREAKAGES)('$check catches $mistake', async ({ check, expected, mutate }) => {
    const broken = await brokenCopy(mutate);
    const messages = CHECKS[check](broken).map((v) => `${v.subject}: ${v.message}`);
    expect(messages.join('\n')).toMatch(expected);
  });
});

describe('service env contract', () => {
  it("comes from the services' own config schemas where they export one", async () => {
    const { env } = await realContext();
    expect([...(env['api-service']?.names ?? [])]).toEqual(
      expect.arrayContaining(['STORE_ADDR', 'CANARY_TRACK', 'PORT', 'METRICS_PORT']),
    );
    expect([...(env['store-service']?.required ?? [])]).toContain('DYNAMODB_TABLE');
  });

  it('rejects values the services would refuse at start-up (from their configVariables)', async () => {
    const broken = await brokenCopy((ctx) => {
      setEnv(deploymentOf(overlay(ctx, 'staging'), 'api-service'), 'LOG_LEVEL', 'verbose');
      setEnv(deploymentOf(overlay(ctx, 'staging'), 'store-service'), 'DYNAMODB_ENDPOINT', 'dynamodb.local');
    });
    const messages = CHECKS.serviceEnv(broken).map((v) => `${v.subject}: ${v.message}`);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/Deployment apps\/api-service: LOG_LEVEL/);
    expect(messages[1]).toMatch(
      /Deployment apps\/store-service: DYNAMODB_ENDPOINT: must be an http\(s\) URL/,
    );
  });
});
