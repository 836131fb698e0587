/**
 * A new service's place in the cluster manifests (manifests/, see its README "How to add a service"),
 * rendered from its registry entry and `manifests/config.yaml`: its base (facts, workload component,
 * who reaches it), the source and ApplicationSet of its PR canaries and their AppProject, its stable
 * route at its hop, its Flagger Canary for production's progressive delivery, and its line in every
 * list that names each service once (the bases, the image tags of each environment, the Argo CD
 * listing, production's untrusted edge, the Canaries of components/progressive-delivery). New files are whole
 * files; existing files are edited through the YAML document model (comments and layout kept) or, for
 * files of several documents, by appending one. The manifests checks (`npm test -w
 * @pr-canary/manifests`) hold the result to the registry, and the scaffold test runs them on it.
 */

import * as path from 'node:path';
import { PROTOCOL_GATES } from '@pr-canary/canary-analysis/metrics';
import { canaryLabel, canaryNamespace } from '@pr-canary/contracts/services';
import {
  type Document,
  isMap,
  isSeq,
  parse,
  parseAllDocuments,
  parseDocument,
  stringify,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { RegistryEntry } from './registry';
import type { FileSet } from './templates';

export const MANIFESTS = 'manifests';
/** The environment PR canaries run in (its Argo CD cluster name and its key in config.yaml's domains). */
const PR_ENVIRONMENT = 'integration-001';
/** Environments whose overlay rewrites the edge hosts of components/edge-routes (which use production's domain). */
const HOST_PATCHED_ENVIRONMENTS = ['staging', PR_ENVIRONMENT] as const;
const ENVIRONMENTS = ['production', ...HOST_PATCHED_ENVIRONMENTS] as const;

/** The part of manifests/config.yaml the rendering uses. */
export interface ManifestsConfig {
  repoURL: string;
  github: { owner: string; repo: string };
  targetRevision: string;
  imageRegistry: string;
  stableNamespace: string;
  domains: Record<(typeof ENVIRONMENTS)[number], string>;
  deployBranch: string;
}

export function parseManifestsConfig(text: string): ManifestsConfig {
  const config = parse(text) as ManifestsConfig;
  for (const field of [
    'repoURL',
    'targetRevision',
    'imageRegistry',
    'stableNamespace',
    'deployBranch',
  ] as const)
    if (typeof config?.[field] !== 'string') throw new Error(`manifests/config.yaml has no ${field}`);
  for (const env of ENVIRONMENTS)
    if (typeof config.domains?.[env] !== 'string')
      throw new Error(`manifests/config.yaml has no domains.${env}`);
  return config;
}

/** Reads a repository file (the scaffold's own reader, so a missing file is reported by path). */
export type ReadFile = (file: string) => string;

interface Service {
  entry: RegistryEntry;
  config: ManifestsConfig;
  /** The tag every environment starts with (the package's version, as the workload template's). */
  tag: string;
}

const image = ({ entry, config }: Service) => `${config.imageRegistry}/${entry.image}`;
const host = ({ entry }: Service, domain: string) => `${entry.short}.${domain}`;
const prSource = ({ entry }: Service) => `${MANIFESTS}/pr-canary/${entry.short}`;
const project = ({ entry }: Service) => `pr-canary-previews-${entry.short}`;
const appSetFile = ({ entry }: Service) => `applicationsets/pr-${entry.name}.yaml`;
const canaryNs = ({ entry }: Service, pr: string) => canaryNamespace(entry, pr);
/** Production's progressive delivery: one Canary per service, listed with its patches here. */
const DELIVERY = 'components/progressive-delivery';
export const canaryFile = ({ name }: Pick<RegistryEntry, 'name'>): string =>
  `${MANIFESTS}/${DELIVERY}/canary-${name}.yaml`;

function facts({ entry, config }: Service): string {
  return `# What components/service fills in for this service (held to its entry in the service registry,
# @pr-canary/contracts/services, by the manifests checks). Build-time only: Kustomize drops
# local-config objects from its output.
apiVersion: pr-canary.dev/v1alpha1
kind: ServiceFacts
metadata:
  name: ${entry.name}
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  short: ${entry.short}
  image: ${config.imageRegistry}/${entry.image}
  port: ${entry.port}
  metricsPort: ${entry.metricsPort}
  protocol: ${entry.protocol}
${entry.grpcService === undefined ? '' : `  grpcService: ${entry.grpcService}\n`}`;
}

function baseKustomization({ entry }: Service): string {
  const edge = entry.hop === 'edge';
  return `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
${
  edge
    ? 'resources:\n  - facts.yaml\n  - networkpolicy.yaml\n'
    : `# No NetworkPolicy admits anyone yet (components/network-guardrails denies by default): when a
# service calls this one, add a policy here that admits it, as base/store-service/networkpolicy.yaml does.
resources:
  - facts.yaml
`
}components:
  - ../../components/service-${entry.protocol}
# Its own environment variables: a patch on the Deployment ${entry.name} (see base/api-service).
`;
}

function edgeNetworkPolicy({ entry }: Service): string {
  return `# Who reaches ${entry.name} (on top of components/network-guardrails' default deny): Traefik, on the
# service's port, or Linkerd's inbound port 4143 when Traefik's proxy dials the pod's proxy, or 9900
# where a telepresence intercept's traffic agent took the serving port over (components/telepresence-access).
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${entry.name}-from-edge
spec:
  podSelector:
    matchLabels:
      pr-canary.dev/service: ${entry.name}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: traefik
      ports:
        - protocol: TCP
          port: ${entry.port}
        - protocol: TCP
          port: 4143
        - protocol: TCP
          port: 9900
`;
}

function prSourceKustomization(service: Service): string {
  const { entry } = service;
  if (entry.hop === 'edge')
    return `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# Source of every ${entry.name} PR canary: the stable base, routed at the edge (../edge). The
# ApplicationSet's Kustomize options set namespace, labels, image tag, CANARY_TRACK and the route.
namespace: ${canaryNs(service, '0')}
resources:
  - ../../base/${entry.name}
components:
  - ../edge
`;
  return `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# Source of every ${entry.name} PR canary: the stable base, routed in the mesh (../mesh). No
# \`namespace\` (it would move the route out of ${service.config.stableNamespace}): the workload takes the Application's
# destination namespace, the ApplicationSet renames the Namespace and the route per PR.
resources:
  - ../../base/${entry.name}
components:
  - ../mesh
`;
}

/** The generators every PR ApplicationSet shares: open PRs with the label × CI's deploy record. */
function prGenerators(service: Service): string {
  const { entry, config } = service;
  return `  generators:
    # Per open PR labelled ${canaryLabel(entry)} (the pull request generator) that CI has marked deployable
    # (the git files generator, reading deploy/pr-<N>/${entry.name}.json that .github/scripts/
    # record-deployable.sh writes on branch ${config.deployBranch} once the image is pushed). Fork PRs get no
    # record (their runs have no write token), so no canary.
    - matrix:
        generators:
          - pullRequest:
              requeueAfterSeconds: 300
              github:
                owner: ${config.github.owner}
                repo: ${config.github.repo}
                tokenRef:
                  secretName: github-token
                  key: token
                labels:
                  - ${canaryLabel(entry)}
          - git:
              repoURL: ${config.repoURL}
              revision: ${config.deployBranch}
              files:
                - path: deploy/pr-{{.number}}/${entry.name}.json`;
}

/** The Deployment patch every PR canary gets: its track and version. */
function trackPatch({ entry }: Service): string {
  return `            - target:
                group: apps
                kind: Deployment
                name: ${entry.name}
              patch: |
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: ${entry.name}
                spec:
                  template:
                    spec:
                      containers:
                        - name: ${entry.name}
                          env:
                            - name: CANARY_TRACK
                              value: pr-{{.number}}
                            - name: SERVICE_VERSION
                              value: "{{.deployable.tag}}"`;
}

const SYNC = `      syncPolicy:
        automated:
          prune: true
          selfHeal: true
        retry:
          limit: 5
          backoff:
            duration: 10s
            factor: 2
            maxDuration: 3m
`;

function prApplicationSet(service: Service): string {
  const { entry, config } = service;
  const edge = entry.hop === 'edge';
  const ns = canaryNs(service, '{{.number}}');
  const head = `# One Application per open PR labelled ${canaryLabel(entry)}: the PR's ${entry.name} in its own namespace
# ${canaryNs(service, '<N>')}, reached with ${edge ? 'X-Canary: <N> at the edge' : 'x-canary: <N> in the mesh'}. Deleted (with its namespace) when the PR
# closes or loses the label. Template subset: {{.param}} and sprig regexReplaceAll only (see manifests/README.md).
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: pr-canary-${entry.name}
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
${prGenerators(service)}
  syncPolicy:
    preserveResourcesOnDeletion: false
  template:
    metadata:
      name: ${entry.name}-pr-{{.number}}
      labels:
        pr-canary.dev/pr: "{{.number}}"
        pr-canary.dev/service: ${entry.name}
      finalizers:
        - resources-finalizer.argocd.argoproj.io
    spec:
      project: ${project(service)}
      source:
        repoURL: ${config.repoURL}
        targetRevision: ${config.targetRevision}
        path: ${prSource(service)}
`;
  const options = edge
    ? `        kustomize:
          namespace: ${ns}
          commonLabels:
            pr-canary.dev/pr: "{{.number}}"
          images:
            - ${image(service)}:{{.deployable.tag}}
          patches:
${trackPatch(service)}
            # The rule's RE2 pattern is one unbreakable word (a folded line break would add a space).
            # yamllint disable rule:line-length
            - target:
                group: traefik.io
                kind: IngressRoute
                name: ${entry.name}
              patch: |
                - op: replace
                  path: /spec/routes/0/match
                  # Every X-Canary value must be N (see pr-api-service.yaml).
                  value: 'Host(\`${host(service, config.domains[PR_ENVIRONMENT])}\`) && Header(\`X-Canary\`, \`{{.number}}\`) && !HeaderRegexp(\`X-Canary\`, \`^(?:{{ regexReplaceAll "(\\\\d)" .number "$$|[^\${1}]|\${1}(?:" }}[\\s\\S]{{ regexReplaceAll "\\\\d" .number ")" }})\`)'
      # yamllint enable rule:line-length
`
    : `        # No \`namespace\` option (it would move the route): the workload objects have no namespace and
        # take the destination's; the patches rename what is named for the PR.
        kustomize:
          commonLabels:
            pr-canary.dev/pr: "{{.number}}"
          images:
            - ${image(service)}:{{.deployable.tag}}
          patches:
            - target:
                kind: Namespace
                name: ${canaryNs(service, '0')}
              patch: |
                - op: replace
                  path: /metadata/name
                  value: ${ns}
${trackPatch(service)}
            - target:
                group: gateway.networking.k8s.io
                kind: GRPCRoute
                name: ${entry.name}-pr-0
              patch: |
                - op: replace
                  path: /metadata/name
                  value: ${entry.name}-pr-{{.number}}
                - op: replace
                  path: /spec/rules/0/matches/0/headers/0/value
                  value: "{{.number}}"
                - op: replace
                  path: /spec/rules/0/backendRefs/0/namespace
                  value: ${ns}
`;
  return `${head}${options}      destination:
        name: ${PR_ENVIRONMENT}
        namespace: ${ns}
${SYNC}`;
}

function appProject(service: Service): string {
  const { entry, config } = service;
  const edge = entry.hop === 'edge';
  return `# PR ${entry.short} canaries: only the ${PR_ENVIRONMENT} cluster, their own ${canaryNs(service, '*')} namespaces${
    edge
      ? ''
      : `
# and ${config.stableNamespace} for their GRPCRoute (held to x-canary = N → its own namespace by the admission policy)`
  },
# only the kinds the canary renders. Sources render from ${config.targetRevision} (the PR supplies only its image tag).
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: ${project(service)}
  namespace: argocd
  annotations:
    # Before the ApplicationSet naming it (the manifests check projectWaves).
    argocd.argoproj.io/sync-wave: "-2"
spec:
  description: pr-canary PR ${entry.short} canaries (one Application per PR)
  sourceRepos:
    - ${config.repoURL}
  destinations:
    - name: ${PR_ENVIRONMENT}
      namespace: ${canaryNs(service, '*')}
${
  edge
    ? ''
    : `    - name: ${PR_ENVIRONMENT}
      namespace: ${config.stableNamespace}
`
}  clusterResourceWhitelist:
    - group: ""
      kind: Namespace
  namespaceResourceWhitelist:
    - { group: "", kind: Service }
    - { group: "", kind: ServiceAccount }
    - { group: "", kind: ResourceQuota }
    - { group: "", kind: LimitRange }
    - { group: apps, kind: Deployment }
    - { group: autoscaling, kind: HorizontalPodAutoscaler }
    - { group: policy, kind: PodDisruptionBudget }
    - { group: networking.k8s.io, kind: NetworkPolicy }
    - { group: monitoring.coreos.com, kind: ServiceMonitor }
${
  edge
    ? '    - { group: traefik.io, kind: IngressRoute }\n'
    : '    - { group: gateway.networking.k8s.io, kind: GRPCRoute }\n    - { group: gateway.networking.k8s.io, kind: ReferenceGrant }\n'
}`;
}

function stableEdgeRoute(service: Service): string {
  const { entry, config } = service;
  return `apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata:
  name: ${entry.name}
spec:
  entryPoints:
    - web
  routes:
    - kind: Rule
      match: Host(\`${host(service, config.domains.production)}\`)
      priority: 10
      services:
        - kind: Service
          name: ${entry.name}
          port: 80
`;
}

function stableMeshRoute({ entry }: Service): string {
  return `# The catch-all to stable ${entry.name} (see the first route).
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: ${entry.name}-stable
spec:
  parentRefs:
    - group: core
      kind: Service
      name: ${entry.name}
      port: 80
  rules:
    - backendRefs:
        - name: ${entry.name}
          port: 80
`;
}

/**
 * Its Flagger Canary (production): weight shifted where its hop routes it, like the api's (edge:
 * provider traefik, the route then sends to the TraefikService Flagger writes) and the store's (mesh:
 * provider gatewayapi:v1 on its own Service, Linkerd applies the HTTPRoute), analysed with its
 * protocol's gates (@pr-canary/canary-analysis' PROTOCOL_GATES) and the loadtester's webhooks.
 */
function flaggerCanary({ entry, config }: Service): string {
  const gates = PROTOCOL_GATES[entry.protocol];
  const canaryHost = `${entry.name}-canary.${config.stableNamespace}`;
  const edge = entry.hop === 'edge';
  const loadtester = 'http://flagger-loadtester.flagger-system/';
  const gate = (template: string, max: number) => ({
    name: template,
    templateRef: { name: template },
    thresholdRange: { max },
    interval: '1m',
  });
  const canary = {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    // No sync wave: in the Deployments' wave (the manifests check canaryWaves) — Flagger creates the
    // Services from the Canary, and waits for its target Deployment by itself.
    metadata: { name: entry.name },
    spec: {
      provider: edge ? 'traefik' : 'gatewayapi:v1',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: entry.name },
      autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: entry.name },
      progressDeadlineSeconds: 600,
      service: {
        port: 80,
        targetPort: entry.port,
        portName: entry.protocol,
        ...(edge
          ? {}
          : {
              gatewayRefs: [
                {
                  group: 'core',
                  kind: 'Service',
                  name: entry.name,
                  namespace: config.stableNamespace,
                  port: 80,
                },
              ],
            }),
      },
      analysis: {
        interval: '1m',
        threshold: 5,
        maxWeight: 50,
        stepWeight: 10,
        metrics: [
          gate(gates.errorRate.template, gates.errorRate.maxPercent),
          gate(gates.latencyP99.template, gates.latencyP99.maxMs),
        ],
        webhooks: [
          {
            name: 'acceptance',
            type: 'pre-rollout',
            url: loadtester,
            timeout: '30s',
            metadata: {
              type: 'bash',
              cmd: edge
                ? `curl -sf http://${canaryHost}/readyz`
                : `grpc_health_probe -addr=${canaryHost}:80 -service=${entry.grpcService}`,
            },
          },
          {
            name: 'load',
            type: 'rollout',
            url: loadtester,
            timeout: '5s',
            metadata: edge
              ? { cmd: `hey -z 1m -q 10 -c 2 http://${canaryHost}/api/${entry.short}/hello` }
              : {
                  type: 'cmd',
                  // No server reflection in the services: the health proto flagger-loadtester ships.
                  cmd: `ghz -z 1m -r 10 --insecure --proto=/tmp/ghz/health.proto --call=grpc.health.v1.Health/Check ${canaryHost}:80`,
                },
          },
        ],
      },
    },
  };
  const where = edge
    ? `# ${entry.name}: weight shifted at the Traefik edge (Flagger writes TraefikService ${entry.name}).`
    : `# ${entry.name}: weight shifted in the mesh. Flagger writes an HTTPRoute whose parent is the
# ${entry.name} Service (Gateway API on Linkerd); Linkerd applies it to gRPC (HTTP/2) requests.`;
  // lineWidth folds long webhook commands (plain multi-line scalars, the same string) under yamllint's 120.
  return `${where}
# Its thresholds are its protocol's gates (@pr-canary/canary-analysis PROTOCOL_GATES; the agreement test
# holds them). The load webhook calls ${edge ? 'its scaffolded route' : 'its health service'}: point it at what it serves.
${stringify(canary, { lineWidth: 100 })}`;
}

/** `text` (a file of several YAML documents) with `document` appended as the last one. */
function appendDocument(text: string, document: string): string {
  return `${text.endsWith('\n') ? text : `${text}\n`}---\n${document}`;
}

/** Edits a one-document YAML file in its document model, so its comments and layout stay. */
function editYaml(
  text: string,
  file: string,
  edit: (root: YAMLMap | YAMLSeq, node: (value: unknown) => unknown) => void,
): string {
  const document: Document = parseDocument(text);
  if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
  const root = document.contents;
  if (!isMap(root) && !isSeq(root)) throw new Error(`${file} is not a YAML mapping or list`);
  edit(root, (value) => document.createNode(value));
  return document.toString({ lineWidth: 0 });
}

function seqAt(root: YAMLMap | YAMLSeq, key: string, file: string): YAMLSeq {
  const node = isMap(root) ? root.get(key, true) : undefined;
  if (!isSeq(node)) throw new Error(`${file} has no list "${key}"`);
  return node;
}

/**
 * `value` into the list, before the first item `later` says belongs after it (the registry's order:
 * the new service is the last canaried one, the static bundle comes after it), else at the end.
 */
function insertInOrder(list: YAMLSeq, node: unknown, later: (item: unknown) => boolean): void {
  const at = list.items.findIndex((item) => later((item as { toJSON?: () => unknown }).toJSON?.() ?? item));
  list.items.splice(at === -1 ? list.items.length : at, 0, node);
}

/** A JSON patch document's `value` at `path` (the overlays' host patches). */
function patchValue(root: YAMLMap | YAMLSeq, path: string, file: string): YAMLMap {
  const op = isSeq(root) ? root.items.find((item) => isMap(item) && item.get('path') === path) : undefined;
  if (!isMap(op)) throw new Error(`${file} has no operation on ${path}`);
  return op;
}

/**
 * The plain-HTTP redirect's rule (`key: Host(…) || Host(…)`, a plain scalar whose hosts may continue
 * on more indented lines) with one more host, on a line of its own so the rule never outgrows the
 * line length; the result is read back to prove the rule is what it was plus the host.
 */
function withRedirectHost(text: string, file: string, key: 'match' | 'value', name: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => line.trimStart().startsWith(`${key}: Host(`));
  const indent = (lines[at] ?? '').length - (lines[at] ?? '').trimStart().length;
  if (at === -1 || lines.filter((line) => line.trimStart().startsWith(`${key}: `)).length !== 1)
    throw new Error(`${file}: expected one \`${key}: Host(…)\` rule`);
  let end = at + 1;
  while (
    end < lines.length &&
    /^\s*\|\| Host\(/.test(lines[end] ?? '') &&
    (lines[end]?.search(/\S/) ?? 0) > indent
  )
    end += 1;
  const added = `|| Host(\`${name}\`)`;
  const result = [...lines.slice(0, end), `${' '.repeat(indent + 2)}${added}`, ...lines.slice(end)].join(
    '\n',
  );
  const rule = (yaml: string) =>
    parse(
      yaml
        .split('\n')
        .slice(at, end + (yaml === text ? 0 : 1))
        .join('\n')
        .trim()
        .replace(/^- /, ''),
    ) as Record<string, string>;
  if (rule(result)[key] !== `${rule(text)[key]} ${added}`)
    throw new Error(`${file}: could not add ${name} to its redirect rule`);
  return result;
}

export interface ManifestPlan {
  files: FileSet;
  updates: FileSet;
}

/**
 * What the new service adds to manifests/. `after` lists the registry's services that come after it
 * (their names and images), so lists kept in registry order stay so.
 */
export function renderManifests(
  entry: RegistryEntry,
  tag: string,
  after: readonly Pick<RegistryEntry, 'name' | 'image'>[],
  read: ReadFile,
): ManifestPlan {
  const config = parseManifestsConfig(read(`${MANIFESTS}/config.yaml`));
  const service: Service = { entry, config, tag };
  const edge = entry.hop === 'edge';
  const base = `${MANIFESTS}/base/${entry.name}`;
  const files: FileSet = new Map([
    [`${base}/facts.yaml`, facts(service)],
    [`${base}/kustomization.yaml`, baseKustomization(service)],
    ...(edge ? ([[`${base}/networkpolicy.yaml`, edgeNetworkPolicy(service)]] as const) : []),
    [`${prSource(service)}/kustomization.yaml`, prSourceKustomization(service)],
    [`${MANIFESTS}/argocd/${appSetFile(service)}`, prApplicationSet(service)],
    [canaryFile(entry), flaggerCanary(service)],
  ]);

  const updates: FileSet = new Map();
  const update = (file: string, change: (text: string) => string) =>
    updates.set(
      `${MANIFESTS}/${file}`,
      change(updates.get(`${MANIFESTS}/${file}`) ?? read(`${MANIFESTS}/${file}`)),
    );
  const yamlUpdate = (
    file: string,
    edit: (root: YAMLMap | YAMLSeq, node: (value: unknown) => unknown) => void,
  ) => update(file, (text) => editYaml(text, file, edit));
  const laterNames = new Set(after.map((s) => s.name));
  const laterImages = new Set(after.map((s) => `${config.imageRegistry}/${s.image}`));

  yamlUpdate('base/kustomization.yaml', (root, node) =>
    insertInOrder(seqAt(root, 'resources', 'base/kustomization.yaml'), node(entry.name), (item) =>
      laterNames.has(String(item)),
    ),
  );
  for (const env of ENVIRONMENTS) {
    const file = `overlays/${env}/kustomization.yaml`;
    yamlUpdate(file, (root, node) =>
      insertInOrder(seqAt(root, 'images', file), node({ name: image(service), newTag: tag }), (item) =>
        laterImages.has(String((item as { name?: unknown }).name)),
      ),
    );
  }
  yamlUpdate('argocd/kustomization.yaml', (root, node) =>
    seqAt(root, 'resources', 'argocd/kustomization.yaml').add(node(appSetFile(service))),
  );
  update('argocd/projects.yaml', (text) => appendDocument(text, appProject(service)));

  // Production does not trust the edge: the route strips X-Canary, the service ignores the header.
  yamlUpdate('components/strip-canary-header/kustomization.yaml', (root, node) => {
    const patches = seqAt(root, 'patches', 'components/strip-canary-header/kustomization.yaml');
    if (edge)
      patches.add(
        node({
          path: 'use-middleware.yaml',
          target: { group: 'traefik.io', kind: 'IngressRoute', name: entry.name },
        }),
      );
    patches.add(
      node({
        patch: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${entry.name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${entry.name}\n          env:\n            - name: CANARY_HEADER_TRUSTED\n              value: "false"\n`,
      }),
    );
  });

  // Production rolls it out through its Canary: Flagger generates the Service of its name (so the
  // base's goes), an edge route sends to the TraefikService Flagger writes, and flagger-loadtester
  // (the analysis webhooks) reaches its pods.
  yamlUpdate(`${DELIVERY}/kustomization.yaml`, (root, node) => {
    const file = `${DELIVERY}/kustomization.yaml`;
    seqAt(root, 'resources', file).add(node(path.basename(canaryFile(entry))));
    const patches = seqAt(root, 'patches', file);
    // Each patch's target on one line, as the component writes them.
    const patch = (value: { target: Record<string, string>; patch: string }) => {
      const added = node(value);
      const target = isMap(added) ? added.get('target', true) : undefined;
      if (isMap(target)) target.flow = true;
      patches.add(added);
    };
    patch({
      target: { version: 'v1', kind: 'Service', name: entry.name },
      patch: `$patch: delete\napiVersion: v1\nkind: Service\nmetadata:\n  name: ${entry.name}\n`,
    });
    if (edge)
      patch({
        target: { group: 'traefik.io', kind: 'IngressRoute', name: entry.name },
        patch: `- op: replace\n  path: /spec/routes/0/services\n  value:\n    - kind: TraefikService\n      name: ${entry.name}\n`,
      });
  });
  yamlUpdate(`${DELIVERY}/networkpolicy.yaml`, (root, node) => {
    const file = `${DELIVERY}/networkpolicy.yaml`;
    const spec = isMap(root) ? root.get('spec', true) : undefined;
    const selector = isMap(spec) ? spec.get('podSelector', true) : undefined;
    const [services] = isMap(selector) ? seqAt(selector, 'matchExpressions', file).items : [];
    if (
      !isMap(services) ||
      services.get('key') !== 'pr-canary.dev/service' ||
      services.get('operator') !== 'In'
    )
      throw new Error(`${file}: expected a podSelector on pr-canary.dev/service In [...]`);
    seqAt(services, 'values', file).add(entry.name);
    const [rule] = isMap(spec) ? seqAt(spec, 'ingress', file).items : [];
    const ports = isMap(rule) ? seqAt(rule, 'ports', file) : undefined;
    if (ports === undefined) throw new Error(`${file}: expected an ingress rule with ports`);
    if (!ports.items.some((port) => isMap(port) && port.get('port') === entry.port))
      ports.add(node({ protocol: 'TCP', port: entry.port }));
  });

  if (edge) {
    update('components/edge-routes/ingressroutes.yaml', (text) =>
      appendDocument(text, stableEdgeRoute(service)),
    );
    yamlUpdate('components/edge-tls/kustomization.yaml', (root, node) => {
      const patches = seqAt(root, 'patches', 'components/edge-tls/kustomization.yaml');
      patches.add(
        node({
          path: 'websecure.yaml',
          target: { group: 'traefik.io', kind: 'IngressRoute', name: entry.name },
        }),
      );
    });
    yamlUpdate('components/edge-tls/certificate.yaml', (root) => {
      const spec = isMap(root) ? root.get('spec', true) : undefined;
      if (!isMap(spec)) throw new Error('components/edge-tls/certificate.yaml has no spec');
      seqAt(spec, 'dnsNames', 'components/edge-tls/certificate.yaml').add(
        host(service, config.domains.production),
      );
    });
    update('components/edge-tls/https-redirect.yaml', (text) =>
      withRedirectHost(
        text,
        'components/edge-tls/https-redirect.yaml',
        'match',
        host(service, config.domains.production),
      ),
    );
    for (const env of HOST_PATCHED_ENVIRONMENTS) {
      const domain = config.domains[env];
      const overlay = `overlays/${env}/kustomization.yaml`;
      yamlUpdate(overlay, (root, node) => {
        const patches = seqAt(root, 'patches', overlay);
        patches.add(
          node({
            target: { group: 'traefik.io', kind: 'IngressRoute', name: entry.name },
            patch: `- op: replace\n  path: /spec/routes/0/match\n  value: Host(\`${host(service, domain)}\`)\n`,
          }),
        );
      });
      yamlUpdate(`overlays/${env}/hosts-certificate.yaml`, (root) => {
        const names = patchValue(root, '/spec/dnsNames', `overlays/${env}/hosts-certificate.yaml`).get(
          'value',
        );
        if (!isSeq(names)) throw new Error(`overlays/${env}/hosts-certificate.yaml: its value is not a list`);
        names.add(host(service, domain));
      });
      update(`overlays/${env}/hosts-redirect.yaml`, (text) =>
        withRedirectHost(text, `overlays/${env}/hosts-redirect.yaml`, 'value', host(service, domain)),
      );
    }
  } else {
    update('components/mesh-default-route/grpcroute.yaml', (text) =>
      appendDocument(text, stableMeshRoute(service)),
    );
  }
  return { files, updates };
}

/** Where Argo CD's own objects live: whole objects, no placeholders, so they can be read as written. */
export const ARGOCD = `${MANIFESTS}/argocd`;

/**
 * An Argo CD object the new service's manifests would add a second time, if any: a service called
 * `production` would add ApplicationSet pr-canary-production beside production's own, and Kustomize
 * refuses manifests/argocd with two objects of one kind and name. `texts` maps every YAML file under
 * manifests/argocd, as the plan would leave it, to its text.
 */
export function duplicateArgoObject(texts: ReadonlyMap<string, string>): string | undefined {
  const seen = new Map<string, string>();
  for (const [file, text] of texts) {
    for (const document of parseAllDocuments(text)) {
      const object = document.toJS() as {
        kind?: unknown;
        metadata?: { name?: unknown; namespace?: unknown };
      } | null;
      if (typeof object?.kind !== 'string' || typeof object.metadata?.name !== 'string') continue;
      const id = `${object.kind} ${object.metadata.name}${typeof object.metadata.namespace === 'string' ? ` (namespace ${object.metadata.namespace})` : ''}`;
      const first = seen.get(id);
      if (first !== undefined)
        return `${id} is in ${first}${first === file ? ' twice' : ` and would be in ${file}`}`;
      seen.set(id, file);
    }
  }
  return undefined;
}
