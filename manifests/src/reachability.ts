/**
 * Who can open a connection to whom, computed from rendered NetworkPolicy objects with the
 * Kubernetes semantics: a pod is isolated for a direction once any policy selecting it has that
 * policy type (policyTypes defaults to Ingress, plus Egress when egress rules exist); a connection
 * needs the source's egress and the destination's ingress to allow it; a rule allows a peer if one
 * `from`/`to` entry matches (podSelector in the policy's namespace, namespaceSelector, both
 * combined, or ipBlock with `except`) and one port entry matches (number, name resolved on the
 * destination pod, protocol default TCP, endPort); an absent or empty list matches everything.
 * Namespaces carry the label the API server adds to every namespace, kubernetes.io/metadata.name.
 */
import type { KubeObject } from './objects';

export interface Port {
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  name?: string;
}

/** A pod (by namespace and labels) or an address outside the cluster. */
export interface Endpoint {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  ip: string;
  /** The ports clients connect to (the pod's container ports, with names for named-port rules). */
  ports: Port[];
  /** Whether its NetworkPolicies are ours: pairs of two unmanaged endpoints are not in the matrix. */
  managed?: boolean;
}

export interface Cluster {
  /** Namespace labels as the API server stores them (rendered labels + kubernetes.io/metadata.name). */
  namespaces: Map<string, Record<string, string>>;
  policies: KubeObject[];
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string> = {},
): boolean {
  if (selector === undefined) return true;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        return value !== undefined && (e.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(e.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        throw new Error(`unknown label selector operator ${String(e.operator)}`);
    }
  });
  return byLabels && byExpressions;
}

function ipToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${ip}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToNumber(base as string) / size) * size;
  const n = ipToNumber(ip);
  return n >= start && n < start + size;
}

export function namespaceLabels(
  namespaceObjects: readonly KubeObject[],
  others: readonly string[],
): Map<string, Record<string, string>> {
  const map = new Map<string, Record<string, string>>();
  for (const name of others) map.set(name, { 'kubernetes.io/metadata.name': name });
  for (const ns of namespaceObjects)
    map.set(ns.metadata.name, { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name });
  return map;
}

// biome-ignore lint/suspicious/noExplicitAny: NetworkPolicy peers and ports as rendered.
type Peer = any;

function peerMatches(peer: Peer, policyNamespace: string, other: Endpoint, cluster: Cluster): boolean {
  if (peer.ipBlock !== undefined) {
    const { cidr, except = [] } = peer.ipBlock as { cidr: string; except?: string[] };
    return inCidr(other.ip, cidr) && !except.some((e) => inCidr(other.ip, e));
  }
  if (other.namespace === undefined) return false; // selectors only ever select pods
  const namespaceOk =
    peer.namespaceSelector === undefined
      ? other.namespace === policyNamespace
      : selectorMatches(peer.namespaceSelector, cluster.namespaces.get(other.namespace) ?? {});
  return namespaceOk && selectorMatches(peer.podSelector, other.labels);
}

function portMatches(rulePorts: Peer[] | undefined, destination: Endpoint, port: Port): boolean {
  if (rulePorts === undefined || rulePorts.length === 0) return true;
  return rulePorts.some((p) => {
    if ((p.protocol ?? 'TCP') !== (port.protocol ?? 'TCP')) return false;
    if (p.port === undefined) return true;
    const number =
      typeof p.port === 'number' ? p.port : destination.ports.find((d) => d.name === p.port)?.port;
    if (number === undefined) return false;
    return p.endPort === undefined ? port.port === number : port.port >= number && port.port <= p.endPort;
  });
}

const policyTypes = (policy: KubeObject): string[] =>
  policy.spec.policyTypes ?? (policy.spec.egress === undefined ? ['Ingress'] : ['Ingress', 'Egress']);

/** Whether `direction` traffic of `pod` (to/from `other`, on `port` of the destination) is allowed. */
function allowedAt(
  pod: Endpoint,
  direction: 'Ingress' | 'Egress',
  other: Endpoint,
  destination: Endpoint,
  port: Port,
  cluster: Cluster,
): boolean {
  if (pod.namespace === undefined) return true; // outside the cluster: no NetworkPolicy applies
  const selecting = cluster.policies.filter(
    (p) =>
      p.metadata.namespace === pod.namespace &&
      selectorMatches(p.spec.podSelector, pod.labels) &&
      policyTypes(p).includes(direction),
  );
  if (selecting.length === 0) return true;
  const key = direction === 'Ingress' ? 'ingress' : 'egress';
  const peersKey = direction === 'Ingress' ? 'from' : 'to';
  return selecting.some((p) =>
    ((p.spec[key] ?? []) as Peer[]).some(
      (rule) =>
        (rule[peersKey] === undefined ||
          rule[peersKey].length === 0 ||
          rule[peersKey].some((peer: Peer) =>
            peerMatches(peer, p.metadata.namespace as string, other, cluster),
          )) &&
        portMatches(rule.ports, destination, port),
    ),
  );
}

export function connectionAllowed(from: Endpoint, to: Endpoint, port: Port, cluster: Cluster): boolean {
  return (
    allowedAt(from, 'Egress', to, to, port, cluster) && allowedAt(to, 'Ingress', from, to, port, cluster)
  );
}

/**
 * `allowed` when every port of `to` is reachable from `from`, `denied` when none is, otherwise
 * the reachable ports (a half-open edge is a mistake either way).
 */
export function reach(from: Endpoint, to: Endpoint, cluster: Cluster): string {
  const open = to.ports.filter((p) => connectionAllowed(from, to, p, cluster));
  if (open.length === to.ports.length) return 'allowed';
  if (open.length === 0) return 'denied';
  return `only ${open.map((p) => p.port).join(', ')}`;
}

/** Every ordered pair with a managed end (no self-edges), `from → to: verdict`. */
export function reachabilityMatrix(endpoints: readonly Endpoint[], cluster: Cluster): Record<string, string> {
  const matrix: Record<string, string> = {};
  for (const from of endpoints)
    for (const to of endpoints)
      if (from !== to && (from.managed || to.managed))
        matrix[`${from.name} → ${to.name}`] = reach(from, to, cluster);
  return matrix;
}
