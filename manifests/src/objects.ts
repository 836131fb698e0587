/** Kubernetes objects as parsed YAML, and the few typed accessors the checks share. */
import type { RenderedObject } from '@pr-canary/ship-checks/kustomize';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/** A Kubernetes object (ship-checks' rendered object) with any other top-level field. */
export interface KubeObject extends RenderedObject {
  // biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary YAML; kinds with top-level fields (ConfigMap data, SA).
  [field: string]: any;
}

export function parseObjects(text: string, origin: string): KubeObject[] {
  return parseAllDocuments(text).flatMap((doc, index) => {
    if (doc.errors.length > 0) throw new Error(`${origin} document ${index}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return [];
    if (!isKubeObject(value)) throw new Error(`${origin} document ${index} is not a Kubernetes object`);
    return [value];
  });
}

export function parseYamlFile(text: string): unknown {
  return parseYaml(text);
}

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  const metadata = o.metadata as Record<string, unknown> | undefined;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof metadata?.name === 'string';
}

export const group = (o: KubeObject): string =>
  o.apiVersion.includes('/') ? (o.apiVersion.split('/')[0] ?? '') : '';

export function ref(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ?? '(no namespace)'}/${o.metadata.name}`;
}

export function ofKind(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

export const isClusterScoped = (o: KubeObject): boolean => CLUSTER_SCOPED.has(o.kind);

const WORKLOAD_KINDS = new Set(['Deployment', 'Job', 'StatefulSet', 'DaemonSet']);

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: pod specs are read field by field by the checks.
  spec: any;
}

/** The pod template of a workload, or undefined for other kinds. */
export function podTemplate(o: KubeObject): PodTemplate | undefined {
  return WORKLOAD_KINDS.has(o.kind) ? o.spec?.template : undefined;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  ports?: { name?: string; containerPort: number }[];
  // biome-ignore lint/suspicious/noExplicitAny: probe shapes vary (httpGet, grpc, exec, tcpSocket).
  readinessProbe?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  livenessProbe?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  startupProbe?: any;
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field.
  securityContext?: any;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export function containers(o: KubeObject): Container[] {
  const spec = podTemplate(o)?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

export function envOf(container: Container): Record<string, string | undefined> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
}

export function labelsMatch(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}
