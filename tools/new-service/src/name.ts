/**
 * What a new service may be called. The name ends up in many places at once: a Kubernetes Service,
 * Deployment and namespace (`<short>-canary-pr-<N>`), an npm workspace (`@pr-canary/<name>`), an image
 * name, a proto package (`<short>.v1`, dashes as underscores) and the `canary/<name>` PR label — so it
 * is checked once, here, against the strictest of them, with a message that says what to type instead.
 */
import { MAX_PR_DIGITS } from '@pr-canary/contracts/canary-key';
import {
  canaryLabel,
  GITHUB_LABEL_MAX_LENGTH,
  LOOPBACK_HOST_LABELS,
  MAX_SERVICE_NAME_LENGTH,
} from '@pr-canary/contracts/services';

/** RFC 1035 label, as Kubernetes checks Service names: lower case, starts with a letter, ends alphanumeric. */
const DNS_LABEL = /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/;
/** `<short>-canary-pr-<N>` must fit a 63-character namespace name for every valid PR number. */
export const MAX_SHORT_LENGTH = 63 - '-canary-pr-'.length - MAX_PR_DIGITS;
/** The PR label `canary/<name>` must fit GitHub's 50 characters (the registry refuses a longer name too). */
export const MAX_NAME_LENGTH = MAX_SERVICE_NAME_LENGTH;

const NAMESPACE = 'names a namespace in the cluster';
const PROTO = 'names a proto package in use';
/**
 * Names that are taken by something other than a service in the registry, and why: namespaces the
 * platform runs in, top-level folders, proto packages that already exist, and the host names of this
 * machine (which the local edge answers as itself). The repository's workspace packages are taken
 * too: workspace.ts's `assertNotAWorkspace` reads them from the repository.
 */
export const RESERVED_NAMES: ReadonlyMap<string, string> = new Map([
  // namespaces in the cluster (manifests/platform, localdev/cluster) and Kubernetes' own
  ...[
    'apps',
    'default',
    'argocd',
    'cert-manager',
    'flagger',
    'linkerd',
    'monitoring',
    'traefik',
    'platform',
  ].map((name) => [name, NAMESPACE] as const),
  // top-level folders that are no workspace
  ...['packages', 'tools'].map((name) => [name, 'names a folder of the repository'] as const),
  // proto packages in use or owned by others (grpc.health.v1, google.protobuf)
  ...['grpc', 'google', 'health'].map((name) => [name, PROTO] as const),
  // the track of every stable instance (X-Served-By track="stable", --canary, probe --expect)
  ['stable', 'is the track of every stable instance: a service called that would read as one'] as const,
  // the PR canaries' shared parts, folders of manifests/pr-canary beside each service's own
  ...['canary', 'guardrails'].map(
    (name) => [name, "names the PR canaries' shared manifests (manifests/pr-canary/<name>)"] as const,
  ),
  // the local stack's own parts, named beside the services in its output, options and code
  ...['router', 'edge', 'mesh', 'dynamodb', 'dynalite', 'control'].map(
    (name) => [name, 'names a part of the local stack (npm start) beside the services'] as const,
  ),
  ...LOOPBACK_HOST_LABELS.map(
    (name) =>
      [
        name,
        `names this machine: the local edge answers a Host of ${name}:<port> with its default service (npm start prints http://localhost:8080), and a service called that would take those requests over`,
      ] as const,
  ),
]);

export interface ServiceName {
  /** The Service, Deployment, workspace folder and image name, e.g. `billing-service`. */
  name: string;
  /** Namespaces (`billing-canary-pr-42`), probe keys and the proto package: the name without `-service`. */
  short: string;
  /** The word in type names (`BillingConfig`): `Billing`. */
  pascal: string;
  /** The word in function names (`billingContract`): `billing`. */
  camel: string;
  /** The proto package's first part: `billing` (dashes become underscores). */
  protoPackage: string;
}

export class InvalidNameError extends Error {
  override name = 'InvalidNameError';
}

/** Facts about a name that is fine on its own; throws InvalidNameError saying why not. */
export function parseServiceName(input: string): ServiceName {
  const shown = JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input);
  if (input.length === 0) throw new InvalidNameError('a service name is required, e.g. billing-service');
  if (!DNS_LABEL.test(input)) {
    const suggestion = input.toLowerCase().replace(/_/g, '-');
    const hint =
      input.length <= MAX_NAME_LENGTH && DNS_LABEL.test(suggestion)
        ? ` (try ${JSON.stringify(suggestion)})`
        : '';
    throw new InvalidNameError(
      `${shown} is not a valid service name: use lower-case letters, digits and "-", starting with a letter and ending with a letter or digit (a DNS-1123 label, as Kubernetes names Services)${hint}`,
    );
  }
  if (input.includes('--'))
    throw new InvalidNameError(
      `${shown} is not a valid service name: "--" is not allowed (names are split on "-")`,
    );
  if (/-[0-9]/.test(input)) {
    throw new InvalidNameError(
      `${shown} is not a valid service name: every "-"-separated word must start with a letter (it becomes a proto package and type names)`,
    );
  }
  const short = input.endsWith('-service') ? input.slice(0, -'-service'.length) : input;
  if (short.length === 0) throw new InvalidNameError(`${shown} needs a word before -service`);
  if (input.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(
      `${shown} is too long: a service name may have at most ${MAX_NAME_LENGTH} characters, so that its pull-request label ${canaryLabel({ name: '<name>' })} fits GitHub's limit of ${GITHUB_LABEL_MAX_LENGTH} characters for a label`,
    );
  }
  if (short.length > MAX_SHORT_LENGTH) {
    throw new InvalidNameError(
      `${shown} is too long: the part before -service may have at most ${MAX_SHORT_LENGTH} characters, so that its PR namespaces (${short.slice(0, 8)}…-canary-pr-<N>) fit Kubernetes' 63`,
    );
  }
  for (const word of new Set([input, short])) {
    const why = word.startsWith('kube-') ? 'belongs to Kubernetes (kube-*)' : RESERVED_NAMES.get(word);
    if (why) throw new InvalidNameError(`${shown} is reserved: "${word}" ${why}`);
  }
  const words = short.split('-');
  const pascal = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
  return {
    name: input,
    short,
    pascal,
    camel: pascal[0]?.toLowerCase() + pascal.slice(1),
    protoPackage: words.join('_'),
  };
}

/** What a service already in the repository is called, and what it has in the cluster. */
export interface ExistingService {
  name: string;
  short: string;
  /** Whether it gets PR canaries and, in production, a Flagger Canary (the registry's `canary`). */
  canary: boolean;
  hop: 'edge' | 'mesh';
}

/** What decides which objects a service has: a new one always gets canaries. */
export type ServiceKind = Pick<ExistingService, 'canary' | 'hop'>;

interface DerivedName {
  suffix: string;
  /** What the object is, after "<service>'s". */
  what: string;
  /** Whether a service of this kind has the object. */
  has(kind: ServiceKind): boolean;
}

/**
 * The names a service's objects take beside its own, in the namespace its Deployment runs in, and
 * which services have them: a service called `<other>-metrics` would be refused by Kustomize (two
 * Services of that name), one called `<other>-primary` fought over by Argo CD and Flagger.
 */
export const DERIVED_OBJECT_NAMES: readonly DerivedName[] = [
  {
    suffix: '-metrics',
    what: 'metrics Service (manifests/components/service/workload.yaml)',
    has: () => true,
  },
  {
    suffix: '-primary',
    what: 'Deployment, Service and HPA as Flagger copies them in production',
    has: (kind) => kind.canary,
  },
  {
    suffix: '-canary',
    what: 'Service that Flagger points at a release under analysis in production',
    has: (kind) => kind.canary,
  },
  {
    suffix: '-stable',
    what: 'catch-all GRPCRoute in the mesh (manifests/components/mesh-default-route)',
    has: (kind) => kind.hop === 'mesh',
  },
  {
    suffix: '-from-apps',
    what: "PR canaries' ReferenceGrant (manifests/pr-canary/mesh)",
    has: (kind) => kind.hop === 'mesh' && kind.canary,
  },
];

/**
 * Refuses a name (or its short form) that an existing service uses in either form, and a name one of
 * its objects takes or one of the new service's (of `kind`) would take.
 */
export function assertNameIsFree(
  service: ServiceName,
  kind: ServiceKind,
  existing: readonly ExistingService[],
): void {
  for (const other of existing) {
    if (other.name === service.name)
      throw new InvalidNameError(`"${service.name}" already exists: it is in the service registry`);
    if (other.short === service.short || other.name === service.short || other.short === service.name) {
      throw new InvalidNameError(
        `"${service.name}" would clash with "${other.name}": both would use "${service.short}" for namespaces and probe keys (${service.short}-canary-pr-<N>)`,
      );
    }
    for (const { suffix, what, has } of DERIVED_OBJECT_NAMES) {
      if (has(other) && service.name === `${other.name}${suffix}`) {
        throw new InvalidNameError(
          `"${service.name}" would clash with "${other.name}": ${service.name} is the name of ${other.name}'s ${what}`,
        );
      }
      if (has(kind) && other.name === `${service.name}${suffix}`) {
        throw new InvalidNameError(
          `"${service.name}" would clash with "${other.name}": the new service's ${what} would be called ${other.name}, as that service is`,
        );
      }
    }
  }
}
