/**
 * What a new service may be called. The name ends up in many places at once: a Kubernetes Service,
 * Deployment and namespace (`<short>-canary-pr-<N>`), an npm workspace (`@pr-canary/<name>`), an image
 * name, a proto package (`<short>.v1`, dashes as underscores) and the `canary/<name>` PR label — so it
 * is checked once, here, against the strictest of them, with a message that says what to type instead.
 */
import { MAX_PR_DIGITS } from '@pr-canary/contracts/canary-key';

/** RFC 1035 label, as Kubernetes checks Service names: lower case, starts with a letter, ends alphanumeric. */
const DNS_LABEL = /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/;
/** `<short>-canary-pr-<N>` must fit a 63-character namespace name for every valid PR number. */
export const MAX_SHORT_LENGTH = 63 - '-canary-pr-'.length - MAX_PR_DIGITS;
/** A Service name is a DNS label; with the `-service` suffix that leaves the same room as the short name. */
export const MAX_NAME_LENGTH = MAX_SHORT_LENGTH + '-service'.length;

/**
 * Names that are taken by something other than a service in the registry: namespaces the platform
 * runs in, the repository's own workspaces, and proto packages that already exist.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  // namespaces in the cluster (manifests/platform, localdev/cluster) and Kubernetes' own
  'apps',
  'default',
  'argocd',
  'cert-manager',
  'flagger',
  'linkerd',
  'monitoring',
  'traefik',
  'platform',
  // workspaces and top-level folders that are not services
  'web',
  'bench',
  'contracts',
  'canary-context',
  'service-kit',
  'test-support',
  'localdev',
  'manifests',
  'proto',
  'tools',
  'new-service',
  'ship-checks',
  'table-janitor',
  'extension-canary',
  // proto packages in use or owned by others (grpc.health.v1, google.protobuf)
  'grpc',
  'google',
  'health',
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
  if (short.length > MAX_SHORT_LENGTH) {
    throw new InvalidNameError(
      `${shown} is too long: the part before -service may have at most ${MAX_SHORT_LENGTH} characters, so that its PR namespaces (${short.slice(0, 8)}…-canary-pr-<N>) fit Kubernetes' 63`,
    );
  }
  if (RESERVED_NAMES.has(input) || RESERVED_NAMES.has(short) || short.startsWith('kube-')) {
    throw new InvalidNameError(
      `${shown} is reserved: "${RESERVED_NAMES.has(input) ? input : short}" already names a namespace, a workspace or a proto package here (kube-* belongs to Kubernetes)`,
    );
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

/** What a service already in the repository is called. */
export interface ExistingService {
  name: string;
  short: string;
}

/** Refuses a name (or its short form) that an existing service uses in either form. */
export function assertNameIsFree(service: ServiceName, existing: readonly ExistingService[]): void {
  for (const other of existing) {
    if (other.name === service.name)
      throw new InvalidNameError(`"${service.name}" already exists: it is in the service registry`);
    if (other.short === service.short || other.name === service.short || other.short === service.name) {
      throw new InvalidNameError(
        `"${service.name}" would clash with "${other.name}": both would use "${service.short}" for namespaces and probe keys (${service.short}-canary-pr-<N>)`,
      );
    }
  }
}
