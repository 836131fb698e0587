/**
 * The services as the manifests see them: the service registry (`@pr-canary/contracts/services`,
 * every fact about a service written once) and what follows from it for Kubernetes — the base and
 * the facts it must carry, the image, the probes, the PR ApplicationSet and its label. Nothing here
 * names a service: a registry entry is all a new service needs for the checks to know it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  addressVariable,
  canaryLabel,
  canaryServices,
  nodeServices,
  SERVICES,
  type ServiceEntry,
  serviceNamed,
} from '@pr-canary/contracts/services';
import { MANIFESTS_DIR, type RepoConfig } from './layout';
import { parseObjects } from './objects';

export type { ServiceEntry };
export { addressVariable, canaryLabel, canaryServices, nodeServices, SERVICES, serviceNamed };

/** Services routed at the edge (Traefik, by Host) / in the mesh (Linkerd), Node services only. */
export const edgeServices = (): ServiceEntry[] => nodeServices().filter((s) => s.hop === 'edge');
export const meshServices = (): ServiceEntry[] => nodeServices().filter((s) => s.hop === 'mesh');
/** The static bundles (the web UI): served at the edge, calling the edge services from the browser. */
export const staticServices = (): ServiceEntry[] => SERVICES.filter((s) => s.runtime === 'static');
/** Services with their own DynamoDB table: IRSA, and per PR their own table and its cleanup. */
export const tableServices = (): ServiceEntry[] => SERVICES.filter((s) => s.table !== undefined);

/** The registry entry named `name`, or undefined (objects of other names are not services). */
export const serviceOf = (name: string): ServiceEntry | undefined => SERVICES.find((s) => s.name === name);

/** The image repository, `<imageRegistry>/<image>` (tags are set by overlays and PR apps). */
export const imageRepository = (config: Pick<RepoConfig, 'imageRegistry'>, service: ServiceEntry): string =>
  `${config.imageRegistry}/${service.image}`;

/** The ApplicationSet that renders `service`'s PR canaries (argocd/applicationsets/pr-<name>.yaml). */
export const prApplicationSetName = (service: Pick<ServiceEntry, 'name'>): string =>
  `pr-canary-${service.name}`;

/** The host a service is served at in an environment: `<short>.<domain>`. */
export const edgeHost = (service: Pick<ServiceEntry, 'short'>, domain: string): string =>
  `${service.short}.${domain}`;

/** The build-time facts a Node service's base hands components/service (base/<name>/facts.yaml). */
export interface ServiceFacts {
  name: string;
  short: string;
  image: string;
  protocol: ServiceEntry['protocol'];
  port: number;
  metricsPort: number;
  grpcService?: string;
}

/** The facts the registry says base/<name>/facts.yaml must carry. */
export function expectedFacts(
  config: Pick<RepoConfig, 'imageRegistry'>,
  service: ServiceEntry,
): ServiceFacts {
  return {
    name: service.name,
    short: service.short,
    image: imageRepository(config, service),
    protocol: service.protocol,
    port: service.port,
    metricsPort: service.metricsPort,
    ...(service.grpcService === undefined ? {} : { grpcService: service.grpcService }),
  };
}

export const FACTS_KIND = 'ServiceFacts';
export const baseDir = (service: Pick<ServiceEntry, 'name'>): string =>
  path.join(MANIFESTS_DIR, 'base', service.name);

/** The ServiceFacts objects of a base (its facts.yaml; [] when the base has none). */
export function readBaseFacts(service: Pick<ServiceEntry, 'name'>): ServiceFacts[] {
  const file = path.join(baseDir(service), 'facts.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return parseObjects(text, file)
    .filter((o) => o.kind === FACTS_KIND)
    .map((o) => ({ name: o.metadata.name, ...o.spec }) as ServiceFacts);
}

/** What the probes of a service's main container must be, from what the service serves. */
export function expectedProbes(service: ServiceEntry): { readiness: unknown; liveness: unknown } {
  if (service.runtime === 'static') {
    return {
      readiness: { httpGet: { path: '/', port: 'http' } },
      liveness: { httpGet: { path: '/', port: 'http' } },
    };
  }
  if (service.protocol === 'grpc') {
    return {
      readiness: { grpc: { port: service.port, service: service.grpcService } },
      liveness: { grpc: { port: service.port } },
    };
  }
  return {
    readiness: { httpGet: { path: '/readyz', port: 'http' } },
    liveness: { httpGet: { path: '/healthz', port: 'http' } },
  };
}
