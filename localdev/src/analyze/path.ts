/**
 * The services a request passes, in path order (edge first), and which of their calls a verdict
 * counts: the items API's own requests and the store's ItemsService calls, not health probes.
 */
import type { Protocol } from '@pr-canary/canary-analysis';
import type { PathService } from './analyze';

export interface PathServiceEntry extends PathService {
  short: string;
}

export const PATH_SERVICES: readonly PathServiceEntry[] = [
  { name: 'api-service', short: 'api', protocol: 'http' satisfies Protocol, filter: { route: /\/api\/.+/ } },
  {
    name: 'store-service',
    short: 'store',
    protocol: 'grpc' satisfies Protocol,
    filter: { grpc_service: 'store.v1.ItemsService' },
  },
];

export class UnknownServiceError extends Error {
  override name = 'UnknownServiceError';
}

/** A service by its short or full name. */
export function pathService(text: string): PathServiceEntry {
  const found = PATH_SERVICES.find((s) => s.name === text || s.short === text);
  if (!found)
    throw new UnknownServiceError(`unknown service (known: ${PATH_SERVICES.map((s) => s.short).join(', ')})`);
  return found;
}
