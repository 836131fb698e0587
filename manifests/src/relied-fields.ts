/**
 * The field names these manifests rely on, for built-in kinds, whose kubernetes-models schema
 * accepts unknown fields silently (a typo such as `readinesProbe` or `matchLabel` would validate
 * and do nothing). Each shape lists the fields used here; any other field fails the check, so
 * adding a field means adding it here on purpose. Custom resources need no list: their upstream
 * CRDs are structural, and src/crd-validation.ts fails on every field the API server would prune.
 */

import type { KubeObject } from './objects';

interface Shape {
  properties?: Record<string, Shape>;
  items?: Shape;
  additionalProperties?: Shape;
}

const LEAF: Shape = {};
const obj = (...keys: string[]): Shape => ({ properties: Object.fromEntries(keys.map((k) => [k, LEAF])) });
const fields = (properties: Record<string, Shape>): Shape => ({ properties });
const list = (items: Shape): Shape => ({ items });
const MAP: Shape = { additionalProperties: LEAF };

const metadata = fields({ name: LEAF, namespace: LEAF, labels: MAP, annotations: MAP, finalizers: LEAF });
const labelSelector = fields({ matchLabels: MAP, matchExpressions: list(obj('key', 'operator', 'values')) });

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

const networkPeer = fields({
  namespaceSelector: labelSelector,
  podSelector: labelSelector,
  ipBlock: obj('cidr', 'except'),
});
const networkPorts = list(obj('protocol', 'port'));

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
        fields({
          type: LEAF,
          containerResource: fields({
            name: LEAF,
            container: LEAF,
            target: obj('type', 'averageUtilization'),
          }),
        }),
      ),
    }),
  }),
  PodDisruptionBudget: fields({
    spec: fields({ maxUnavailable: LEAF, minAvailable: LEAF, selector: labelSelector }),
  }),
  NetworkPolicy: fields({
    spec: fields({
      podSelector: labelSelector,
      policyTypes: LEAF,
      ingress: list(fields({ from: list(networkPeer), ports: networkPorts })),
      egress: list(fields({ to: list(networkPeer), ports: networkPorts })),
    }),
  }),
};

/** Fields the shape does not declare, as JSON paths. */
function unknownFields(value: unknown, shape: Shape | undefined, at = ''): string[] {
  if (shape === undefined || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unknownFields(item, shape.items, `${at}/${i}`));
  return Object.entries(value).flatMap(([key, child]) => {
    const sub = shape.properties?.[key] ?? shape.additionalProperties;
    return sub === undefined
      ? [`${at}/${key} is not a field of this kind`]
      : unknownFields(child, sub, `${at}/${key}`);
  });
}

/** Unknown field names in the parts of `o` these manifests rely on ([] when none). */
export function reliedFieldErrors(o: KubeObject): string[] {
  const shape = SHAPES[o.kind];
  if (shape === undefined) return [];
  const { apiVersion: _a, kind: _k, metadata: meta, ...rest } = o;
  return [...unknownFields(meta, metadata, '/metadata'), ...unknownFields(rest, shape)];
}
