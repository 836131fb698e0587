/**
 * The field names these manifests rely on, for kinds whose kubernetes-models schema accepts
 * unknown fields silently (a typo such as `readinesProbe` or `matchLabel` would validate and do
 * nothing). Each shape lists the fields used here; any other field fails the check, so adding a
 * field means adding it here on purpose. Objects under ANY are free-form (labels, Middleware
 * options, etc.).
 */

import type { KubeObject } from './objects';
import { unknownFields } from './schemas';

interface Shape {
  properties?: Record<string, Shape>;
  items?: Shape;
  additionalProperties?: Shape;
  'x-kubernetes-preserve-unknown-fields'?: true;
}

const ANY: Shape = { 'x-kubernetes-preserve-unknown-fields': true };
const LEAF: Shape = {};
const obj = (...keys: string[]): Shape => ({ properties: Object.fromEntries(keys.map((k) => [k, LEAF])) });
const fields = (properties: Record<string, Shape>): Shape => ({ properties });
const list = (items: Shape): Shape => ({ items });
const MAP: Shape = { additionalProperties: LEAF };

const metadata = fields({ name: LEAF, namespace: LEAF, labels: MAP, annotations: MAP, finalizers: LEAF });
const labelSelector = fields({ matchLabels: MAP });

const probe = fields({
  httpGet: obj('path', 'port'),
  grpc: obj('port', 'service'),
  periodSeconds: LEAF,
  timeoutSeconds: LEAF,
  failureThreshold: LEAF,
  initialDelaySeconds: LEAF,
});

const container = fields({
  name: LEAF,
  image: LEAF,
  imagePullPolicy: LEAF,
  command: LEAF,
  args: LEAF,
  ports: list(obj('name', 'containerPort', 'protocol')),
  env: list(obj('name', 'value')),
  readinessProbe: probe,
  livenessProbe: probe,
  resources: fields({ requests: MAP, limits: MAP }),
  securityContext: fields({
    allowPrivilegeEscalation: LEAF,
    readOnlyRootFilesystem: LEAF,
    privileged: LEAF,
    capabilities: obj('drop'),
  }),
  volumeMounts: list(obj('name', 'mountPath', 'subPath', 'readOnly')),
});

const podTemplate = fields({
  metadata,
  spec: fields({
    serviceAccountName: LEAF,
    automountServiceAccountToken: LEAF,
    terminationGracePeriodSeconds: LEAF,
    restartPolicy: LEAF,
    securityContext: fields({
      runAsNonRoot: LEAF,
      runAsUser: LEAF,
      runAsGroup: LEAF,
      fsGroup: LEAF,
      seccompProfile: obj('type'),
    }),
    containers: list(container),
    volumes: list(fields({ name: LEAF, emptyDir: obj('sizeLimit'), configMap: obj('name') })),
  }),
});

const networkPeer = fields({ namespaceSelector: labelSelector, ipBlock: obj('cidr', 'except') });
const networkPorts = list(obj('protocol', 'port'));

const kustomizeOptions = fields({
  namePrefix: LEAF,
  nameSuffix: LEAF,
  images: LEAF,
  replicas: LEAF,
  commonLabels: MAP,
  commonAnnotations: MAP,
  namespace: LEAF,
  patches: list(
    fields({ path: LEAF, patch: LEAF, target: obj('group', 'version', 'kind', 'name', 'namespace') }),
  ),
  components: LEAF,
});

const applicationSpec = fields({
  project: LEAF,
  source: fields({ repoURL: LEAF, targetRevision: LEAF, path: LEAF, kustomize: kustomizeOptions }),
  destination: obj('name', 'server', 'namespace'),
  ignoreDifferences: list(obj('group', 'kind', 'name', 'jsonPointers')),
  syncPolicy: fields({
    automated: obj('prune', 'selfHeal'),
    syncOptions: LEAF,
    retry: fields({ limit: LEAF, backoff: obj('duration', 'factor', 'maxDuration') }),
  }),
});

const pullRequestGenerator = fields({
  requeueAfterSeconds: LEAF,
  github: fields({
    owner: LEAF,
    repo: LEAF,
    tokenRef: obj('secretName', 'key'),
    appSecretName: LEAF,
    labels: LEAF,
  }),
});

const SHAPES: Record<string, Shape> = {
  Deployment: fields({
    spec: fields({
      revisionHistoryLimit: LEAF,
      selector: labelSelector,
      strategy: fields({ type: LEAF, rollingUpdate: obj('maxSurge', 'maxUnavailable') }),
      template: podTemplate,
    }),
  }),
  Job: fields({
    spec: fields({
      backoffLimit: LEAF,
      activeDeadlineSeconds: LEAF,
      ttlSecondsAfterFinished: LEAF,
      template: podTemplate,
    }),
  }),
  Service: fields({
    spec: fields({
      type: LEAF,
      clusterIP: LEAF,
      selector: MAP,
      ports: list(obj('name', 'port', 'targetPort', 'protocol', 'appProtocol')),
    }),
  }),
  HorizontalPodAutoscaler: fields({
    spec: fields({
      scaleTargetRef: obj('apiVersion', 'kind', 'name'),
      minReplicas: LEAF,
      maxReplicas: LEAF,
      metrics: list(
        fields({ type: LEAF, resource: fields({ name: LEAF, target: obj('type', 'averageUtilization') }) }),
      ),
    }),
  }),
  PodDisruptionBudget: fields({
    spec: fields({ maxUnavailable: LEAF, minAvailable: LEAF, selector: labelSelector }),
  }),
  ServiceMonitor: fields({
    spec: fields({ selector: labelSelector, endpoints: list(obj('port', 'path', 'interval')) }),
  }),
  NetworkPolicy: fields({
    spec: fields({
      podSelector: labelSelector,
      policyTypes: LEAF,
      ingress: list(fields({ from: list(networkPeer), ports: networkPorts })),
      egress: list(fields({ to: list(networkPeer), ports: networkPorts })),
    }),
  }),
  IngressRoute: fields({
    spec: fields({
      entryPoints: LEAF,
      routes: list(
        fields({
          kind: LEAF,
          match: LEAF,
          priority: LEAF,
          middlewares: list(obj('name', 'namespace')),
          services: list(obj('kind', 'name', 'namespace', 'port', 'weight')),
        }),
      ),
      tls: obj('secretName'),
    }),
  }),
  GRPCRoute: fields({
    spec: fields({
      parentRefs: list(obj('group', 'kind', 'name', 'namespace', 'port')),
      rules: list(
        fields({
          matches: list(fields({ headers: list(obj('type', 'name', 'value')), method: ANY })),
          backendRefs: list(obj('name', 'namespace', 'port', 'weight')),
        }),
      ),
    }),
  }),
  ReferenceGrant: fields({
    spec: fields({ from: list(obj('group', 'kind', 'namespace')), to: list(obj('group', 'kind', 'name')) }),
  }),
  Application: fields({ spec: applicationSpec }),
  ApplicationSet: fields({
    spec: fields({
      goTemplate: LEAF,
      goTemplateOptions: LEAF,
      syncPolicy: obj('preserveResourcesOnDeletion'),
      generators: list(fields({ pullRequest: pullRequestGenerator, matrix: ANY })),
      template: fields({ metadata, spec: applicationSpec }),
    }),
  }),
};

/** Unknown field names in the parts of `o` these manifests rely on ([] when none). */
export function reliedFieldErrors(o: KubeObject): string[] {
  const shape = SHAPES[o.kind];
  if (shape === undefined) return [];
  const { apiVersion: _a, kind: _k, metadata: meta, ...rest } = o;
  return [...unknownFields(meta, metadata, '/metadata'), ...unknownFields(rest, shape)];
}
