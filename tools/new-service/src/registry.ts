/**
 * The service registry (`packages/contracts/src/services.json`, validated by `@pr-canary/contracts/services`)
 * as data the generator reads and extends. The generator edits the JSON, never code; whether the
 * result is a valid registry is decided by the contracts package itself (see scaffold.ts).
 */
import type { ExistingService, ServiceName } from './name';
import type { Protocol } from './templates';
import { packageNameOf } from './workspace';

export const REGISTRY_FILE = 'packages/contracts/src/services.json';

export interface RegistryEntry {
  name: string;
  short: string;
  workspace: string;
  package: string;
  runtime: string;
  protocol: Protocol;
  hop: 'edge' | 'mesh';
  port: number;
  metricsPort: number;
  image: string;
  canary: boolean;
  grpcService?: string;
  table?: string;
  bodyLimitBytes?: number;
}

interface RegistryDocument {
  services: RegistryEntry[];
  [field: string]: unknown;
}

/** Container and metrics ports every Node service listens on (the Kubernetes Service maps 80 to the first). */
export const SERVICE_PORT = 8080;
export const METRICS_PORT = 9090;
/** An http service's largest request body (Fastify's own default); the edge refuses bigger ones first. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export function parseRegistry(text: string): RegistryDocument {
  const document = JSON.parse(text) as RegistryDocument;
  if (!Array.isArray(document.services)) throw new Error(`${REGISTRY_FILE} has no "services" list`);
  return document;
}

export function existingServices(document: RegistryDocument): ExistingService[] {
  return document.services.map(({ name, short, canary, hop }) => ({ name, short, canary, hop }));
}

export function registryEntry(
  service: ServiceName,
  protocol: Protocol,
  workspace: string,
  grpcService: string | undefined,
): RegistryEntry {
  return {
    name: service.name,
    short: service.short,
    workspace,
    package: packageNameOf(service.name),
    runtime: 'node',
    protocol,
    hop: protocol === 'http' ? 'edge' : 'mesh',
    port: SERVICE_PORT,
    metricsPort: METRICS_PORT,
    image: service.name,
    canary: true,
    ...(protocol === 'grpc' ? { grpcService } : { bodyLimitBytes: BODY_LIMIT_BYTES }),
  };
}

/**
 * The registry with `entry` added after the last service that gets canaries (the list is in
 * request-path order, and the services that are never canaried — the web bundle — come last).
 */
export function registryWithEntry(text: string, entry: RegistryEntry): string {
  const document = parseRegistry(text);
  const services = document.services;
  const at = services.length - servicesAfterNewEntry(document).length;
  document.services = [...services.slice(0, at), entry, ...services.slice(at)];
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The services a new entry goes before: the trailing ones that never get canaries. */
export function servicesAfterNewEntry(document: RegistryDocument): RegistryEntry[] {
  const services = document.services;
  let at = services.length;
  while (at > 0 && services[at - 1]?.canary === false) at -= 1;
  return services.slice(at);
}
