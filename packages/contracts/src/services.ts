/**
 * The service registry: every deployable service and its facts, written once (in services.json, so a
 * generator — `npm run new-service` — adds an entry without editing code, and shell/`.mjs` scripts
 * read it without a build). This module validates that data when it loads and offers the lookups
 * everything else uses: localdev (which instances run, where each router sends what), manifests
 * (bases, PR sources, routes), CI (`.github/scripts/services.mjs`: build matrix, labels, release notes).
 *
 * A service's config schema stays in its own package (`package`, which exports `configVariables`):
 * contracts sits below every app and imports none.
 */
import registry from './services.json';

export type Protocol = 'http' | 'grpc';
/** Which hop routes a service's requests: the edge (Traefik, by Host) or the mesh (Linkerd). */
export type Hop = 'edge' | 'mesh';
/** How its image runs it: a Node service (`node dist/server.js`) or a static bundle behind nginx. */
export type Runtime = 'node' | 'static';

export interface ServiceEntry {
  /** Deployment, Service, image and label name, e.g. `store-service` (an RFC 1035 label). */
  readonly name: string;
  /** Short name: namespaces `<short>-canary-pr-<N>`, `--canary 42=store`, `--expect store=pr-42`. */
  readonly short: string;
  /** npm workspace folder, e.g. `apps/store-service` (`apps/<name>` for Node services: the root Dockerfile builds it). */
  readonly workspace: string;
  /** npm package name; a `node` service's package exports its `configVariables` (service-kit's `defineServiceConfig`). */
  readonly package: string;
  readonly runtime: Runtime;
  readonly protocol: Protocol;
  readonly hop: Hop;
  /** Container port (the Kubernetes Service maps port 80 to it). */
  readonly port: number;
  /** Port of `/metrics`. */
  readonly metricsPort: number;
  /** Image repository name under the registry owner: `ghcr.io/<owner>/<image>`. */
  readonly image: string;
  /** Whether a pull request gets its own copy (`<short>-canary-pr-<N>`) of this service. */
  readonly canary: boolean;
  /** gRPC services only: the fully-qualified service it serves, e.g. `store.v1.ItemsService`. */
  readonly grpcService?: string;
  /** Its DynamoDB table (stable); a PR canary's is `<table>-pr-<N>`. */
  readonly table?: string;
  /**
   * http services only: the largest request body it accepts. The edge in front of it refuses a larger
   * one with 413 itself (the local dev router does), instead of streaming it to a service that closes
   * the connection on it.
   */
  readonly bodyLimitBytes?: number;
}

/** Kubernetes object names (RFC 1035 labels): lower case, digits, inner hyphens. */
const NAME = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;
/** `<short>-canary-pr-<N>` must stay a 63-character label for the largest PR number (9 digits). */
const MAX_SHORT_LENGTH = 63 - '-canary-pr-'.length - 9;
/** GitHub refuses a label name longer than this ("name is too long (maximum is 50 characters)"). */
export const GITHUB_LABEL_MAX_LENGTH = 50;
/** The longest service name whose pull-request label (`canary/<name>`, {@link canaryLabel}) GitHub accepts. */
export const MAX_SERVICE_NAME_LENGTH = GITHUB_LABEL_MAX_LENGTH - canaryLabel({ name: '' }).length;
/**
 * First DNS labels that name this machine itself (`localhost:8080`, `ip6-localhost`): the local dev
 * routers pick a service by the Host's (or `:authority`'s) first label and send any other label to the
 * first service of the hop, so a service named or short-named like one of these would take over
 * every request to the local edge that the README and `npm start` show. (A numeric label such as
 * `127` of 127.0.0.1 is no name: names start with a letter.)
 */
export const LOOPBACK_HOST_LABELS: readonly string[] = Object.freeze([
  'localhost',
  'ip6-localhost',
  'ip6-loopback',
]);
const GRPC_SERVICE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;
const PACKAGE = /^@[a-z0-9-]+\/[a-z0-9-]+$/;
const WORKSPACE = /^[a-z0-9-]+(?:\/[a-z0-9-]+)*$/;
const TABLE = /^[A-Za-z0-9_.-]{3,200}$/;
const FIELDS = new Set([
  'name',
  'short',
  'workspace',
  'package',
  'runtime',
  'protocol',
  'hop',
  'port',
  'metricsPort',
  'image',
  'canary',
  'grpcService',
  'table',
  'bodyLimitBytes',
]);

export class ServiceRegistryError extends Error {
  override name = 'ServiceRegistryError';
}

/**
 * Checks registry data and returns it typed and frozen; throws a {@link ServiceRegistryError} naming
 * the entry and the field. Supported shapes: http at the edge, grpc in the mesh (the local routers and
 * the manifests have no other kind of route); a static bundle is http at the edge and never canaried.
 */
export function defineServices(data: unknown): readonly ServiceEntry[] {
  const list = (data as { services?: unknown } | null)?.services;
  if (!Array.isArray(list) || list.length === 0)
    throw new ServiceRegistryError('the service registry needs a non-empty "services" list');
  const entries = list.map((raw, index) => checkEntry(raw, index));
  for (const field of ['name', 'short', 'image', 'workspace', 'package', 'grpcService', 'table'] as const) {
    const seen = new Set<string>();
    for (const entry of entries) {
      const value = entry[field];
      if (value === undefined) continue;
      if (seen.has(value)) throw new ServiceRegistryError(`two services have ${field} "${value}"`);
      seen.add(value);
    }
  }
  return Object.freeze(entries);
}

function checkEntry(raw: unknown, index: number): ServiceEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ServiceRegistryError(`services[${index}] must be an object`);
  const entry = raw as Record<string, unknown>;
  const where = typeof entry.name === 'string' && NAME.test(entry.name) ? entry.name : `services[${index}]`;
  const fail = (field: string, rule: string): never => {
    throw new ServiceRegistryError(`${where}: ${field} ${rule}`);
  };
  for (const field of Object.keys(entry)) if (!FIELDS.has(field)) fail(field, 'is not a registry field');
  const text = (field: string, pattern: RegExp, rule: string): string => {
    const value = entry[field];
    if (typeof value !== 'string' || !pattern.test(value)) return fail(field, rule);
    return value;
  };
  const port = (field: string): number => {
    const value = entry[field];
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65_535)
      return fail(field, 'must be a port number 1-65535');
    return value as number;
  };
  const oneOf = <T extends string>(field: string, values: readonly T[]): T => {
    const value = entry[field];
    if (!values.includes(value as T)) return fail(field, `must be one of ${values.join(', ')}`);
    return value as T;
  };
  const bodyLimit = (value: unknown): number => {
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 2 ** 31)
      return fail('bodyLimitBytes', 'must be a whole number of bytes 1-2147483648');
    return value as number;
  };
  const name = text('name', NAME, 'must be a lower-case RFC 1035 label');
  if (name.length > MAX_SERVICE_NAME_LENGTH)
    fail(
      'name',
      `must be at most ${MAX_SERVICE_NAME_LENGTH} characters (its PR label canary/<name> within GitHub's ${GITHUB_LABEL_MAX_LENGTH})`,
    );
  const short = text('short', NAME, 'must be a lower-case RFC 1035 label');
  if (short.length > MAX_SHORT_LENGTH)
    fail('short', `must be at most ${MAX_SHORT_LENGTH} characters (namespace <short>-canary-pr-<N>)`);
  for (const [field, value] of [
    ['name', name],
    ['short', short],
  ] as const)
    if (LOOPBACK_HOST_LABELS.includes(value))
      fail(field, `"${value}" names this machine (a Host of ${value}:<port> reaches the local edge itself)`);
  const service: ServiceEntry = {
    name,
    short,
    workspace: text('workspace', WORKSPACE, 'must be a workspace folder such as apps/<name>'),
    package: text('package', PACKAGE, 'must be a scoped npm package name'),
    runtime: oneOf('runtime', ['node', 'static'] as const),
    protocol: oneOf('protocol', ['http', 'grpc'] as const),
    hop: oneOf('hop', ['edge', 'mesh'] as const),
    port: port('port'),
    metricsPort: port('metricsPort'),
    image: text('image', NAME, 'must be a lower-case image name'),
    canary: typeof entry.canary === 'boolean' ? entry.canary : fail('canary', 'must be true or false'),
    ...(entry.grpcService === undefined
      ? {}
      : { grpcService: text('grpcService', GRPC_SERVICE, 'must be a package-qualified gRPC service name') }),
    ...(entry.table === undefined ? {} : { table: text('table', TABLE, 'must be a DynamoDB table name') }),
    ...(entry.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: bodyLimit(entry.bodyLimitBytes) }),
  };
  if (service.bodyLimitBytes !== undefined && service.protocol !== 'http')
    fail('bodyLimitBytes', 'applies to http services only');
  if (service.port === service.metricsPort) fail('metricsPort', 'must differ from port');
  if (service.protocol === 'grpc' && service.hop !== 'mesh')
    fail('hop', 'must be mesh for a grpc service (routed by Linkerd / the dev router gRPC entry)');
  if (service.protocol === 'http' && service.hop !== 'edge')
    fail('hop', 'must be edge for an http service (routed by Traefik / the dev router HTTP entry)');
  if ((service.protocol === 'grpc') !== (service.grpcService !== undefined))
    fail('grpcService', 'is required for a grpc service and only for one');
  if (service.runtime === 'static' && (service.protocol !== 'http' || service.canary))
    fail('runtime', 'static bundles are served over http and never canaried');
  return Object.freeze(service);
}

/** Every registered service, in request-path order (edge first). */
export const SERVICES: readonly ServiceEntry[] = defineServices(registry);

/** Every registered name, for messages. */
export function serviceNames(services: readonly ServiceEntry[] = SERVICES): string[] {
  return services.map((service) => service.name);
}

/** The service called `name`, or undefined. */
export function findService(name: string): ServiceEntry | undefined {
  return SERVICES.find((service) => service.name === name);
}

/** The service called `name`; an unknown name throws, naming the registered ones. */
export function serviceNamed(name: string): ServiceEntry {
  const service = findService(name);
  if (!service)
    throw new ServiceRegistryError(`unknown service "${name}" (registered: ${serviceNames().join(', ')})`);
  return service;
}

/** The service whose `short` or `name` is `text` (command-line and config spelling), or undefined. */
export function serviceByShortOrName(text: string): ServiceEntry | undefined {
  return SERVICES.find((service) => service.short === text || service.name === text);
}

/** Services a pull request gets its own copy of, in request-path order. */
export function canaryServices(): ServiceEntry[] {
  return SERVICES.filter((service) => service.canary);
}

/** Node services: the ones the local stack runs as processes and the dev routers route to. */
export function nodeServices(): ServiceEntry[] {
  return SERVICES.filter((service) => service.runtime === 'node');
}

/** The Node service serving the gRPC service `grpcService` (as in a call's `/pkg.Service/Method` path). */
export function serviceForGrpc(grpcService: string): ServiceEntry | undefined {
  return SERVICES.find((service) => service.grpcService === grpcService);
}

/** Namespace of PR `pr`'s copy of `service`: `<short>-canary-pr-<N>`, e.g. `store-canary-pr-42`. */
export function canaryNamespace(service: Pick<ServiceEntry, 'short'>, pr: string): string {
  return `${service.short}-canary-pr-${pr}`;
}

/** The pull-request label asking for a canary of `service` (the PR ApplicationSets select on it). */
export function canaryLabel(service: Pick<ServiceEntry, 'name'>): string {
  return `canary/${service.name}`;
}

/** DynamoDB table of an instance: the service's `table` for stable, `<table>-pr-<N>` for a canary. */
export function tableFor(
  service: Pick<ServiceEntry, 'name' | 'table'>,
  track: 'stable' | `pr-${string}`,
): string {
  if (service.table === undefined) throw new ServiceRegistryError(`${service.name} has no table`);
  return track === 'stable' ? service.table : `${service.table}-${track}`;
}

/**
 * The environment variable a caller reads a mesh service's address from (`host:port`):
 * `<SHORT>_ADDR`, e.g. `STORE_ADDR`. The api's config schema reads `STORE_ADDR`; a new caller of a new
 * service reads its own.
 */
export function addressVariable(service: Pick<ServiceEntry, 'short'>): string {
  return `${service.short.toUpperCase().replaceAll('-', '_')}_ADDR`;
}
