/**
 * The services a request passes, from the registry (`@pr-canary/contracts/services`): every Node
 * service, edge before mesh, and which of their calls a verdict counts — an HTTP service's routed
 * requests but its probes, a gRPC service's calls to its own service (not grpc.health.v1).
 */
import type { LabelMatcher, Protocol } from '@pr-canary/canary-analysis';
import { nodeServices, type ServiceEntry, serviceByShortOrName } from '@pr-canary/contracts/services';
import type { PathService } from './analyze';

export interface PathServiceEntry extends PathService {
  short: string;
}

/** Routes a load never asks for: the probes, the metrics path, and what matched no route. */
const NOT_THE_LOAD = /\/healthz|\/readyz|\/metrics|unmatched/;

function pathEntry(service: ServiceEntry): PathServiceEntry {
  const filter: Record<string, LabelMatcher> =
    service.protocol === 'grpc'
      ? { grpc_service: service.grpcService ?? '' }
      : { route: new RegExp(`(?!${NOT_THE_LOAD.source}).*`) };
  return { name: service.name, short: service.short, protocol: service.protocol satisfies Protocol, filter };
}

const HOP_ORDER = { edge: 0, mesh: 1 } as const;

export const PATH_SERVICES: readonly PathServiceEntry[] = nodeServices()
  .slice()
  .sort((a, b) => HOP_ORDER[a.hop] - HOP_ORDER[b.hop])
  .map(pathEntry);

export class UnknownServiceError extends Error {
  override name = 'UnknownServiceError';
}

/** A service on the path by its short or full name. */
export function pathService(text: string): PathServiceEntry {
  const entry = serviceByShortOrName(text);
  const found = entry && PATH_SERVICES.find((s) => s.name === entry.name);
  if (!found)
    throw new UnknownServiceError(`unknown service (known: ${PATH_SERVICES.map((s) => s.short).join(', ')})`);
  return found;
}
