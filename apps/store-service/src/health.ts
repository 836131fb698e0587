import type * as grpc from '@grpc/grpc-js';
import { ITEMS_SERVICE_NAME } from '@pr-canary/proto';
import { HealthImplementation } from 'grpc-health-check';

/**
 * grpc.health.v1.Health (Check, Watch, List) served by the gRPC maintainers' `grpc-health-check`
 * package. A HealthRegistry holds the status of each service name; main flips everything to
 * NOT_SERVING at the start of shutdown, the table monitor flips it with the table's readiness, and
 * Watch streams every change (a set to the status a name already has is not a change).
 */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** Service names reported: "" is the whole server. */
export const HEALTH_SERVICE_NAMES = ['', ITEMS_SERVICE_NAME] as const;

export interface HealthRegistry {
  status(service: string): ServingStatus | undefined;
  set(service: string, status: ServingStatus): void;
  /** Sets every known service name at once (e.g. NOT_SERVING when shutdown starts). */
  setAll(status: ServingStatus): void;
  /** Adds grpc.health.v1.Health, answering from this registry, to `server`. */
  addToServer(server: grpc.Server): void;
}

/** A registry with every name in HEALTH_SERVICE_NAMES SERVING. */
export function createHealthRegistry(): HealthRegistry {
  const statuses = new Map<string, ServingStatus>(HEALTH_SERVICE_NAMES.map((name) => [name, 'SERVING']));
  const implementation = new HealthImplementation(Object.fromEntries(statuses));
  const set = (service: string, status: ServingStatus) => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    implementation.setStatus(service, status);
  };
  return {
    status: (service) => statuses.get(service),
    set,
    setAll: (status) => {
      for (const service of statuses.keys()) set(service, status);
    },
    addToServer: (server) => implementation.addToServer(server),
  };
}
