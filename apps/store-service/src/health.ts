import * as grpc from '@grpc/grpc-js';
import {
  type HealthCheckResponse,
  type HealthHandlers,
  type HealthListResponse,
  healthServiceDefinition,
  ITEMS_SERVICE_NAME,
} from '@pr-canary/proto';

/**
 * grpc.health.v1.Health (Check, List, Watch) from the contract in @pr-canary/proto. The status of each
 * service name lives in a HealthRegistry; main flips everything to NOT_SERVING at the start of
 * shutdown, and Watch streams every change.
 */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** Service names reported: "" is the whole server. */
export const HEALTH_SERVICE_NAMES = ['', ITEMS_SERVICE_NAME] as const;

export interface HealthRegistry {
  status(service: string): ServingStatus | undefined;
  set(service: string, status: ServingStatus): void;
  /** Sets every known service name at once (e.g. NOT_SERVING when shutdown starts). */
  setAll(status: ServingStatus): void;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (service: string, status: ServingStatus) => void): () => void;
}

/** A registry with every name in HEALTH_SERVICE_NAMES SERVING. */
export function createHealthRegistry(): HealthRegistry {
  const statuses = new Map<string, ServingStatus>(HEALTH_SERVICE_NAMES.map((name) => [name, 'SERVING']));
  const listeners = new Set<(service: string, status: ServingStatus) => void>();
  const set = (service: string, status: ServingStatus) => {
    if (statuses.get(service) === status) {
      return;
    }
    statuses.set(service, status);
    for (const listener of listeners) {
      listener(service, status);
    }
  };
  return {
    status: (service) => statuses.get(service),
    set,
    setAll: (status) => {
      for (const service of statuses.keys()) {
        set(service, status);
      }
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Adds grpc.health.v1.Health, answering from `registry`, to `server`. */
export function addHealthService(server: grpc.Server, registry: HealthRegistry): void {
  const handlers: HealthHandlers = {
    Check(call, callback) {
      const status = registry.status(call.request.service);
      if (status === undefined) {
        return callback({ code: grpc.status.NOT_FOUND, details: 'unknown service name' });
      }
      return callback(null, { status });
    },
    List(_call, callback) {
      const statuses: Record<string, HealthCheckResponse> = {};
      for (const service of HEALTH_SERVICE_NAMES) {
        statuses[service] = { status: registry.status(service) };
      }
      const response: HealthListResponse = { statuses };
      return callback(null, response);
    },
    Watch(call) {
      const service = call.request.service;
      call.write({ status: registry.status(service) ?? 'SERVICE_UNKNOWN' });
      const unsubscribe = registry.subscribe((changed, status) => {
        if (changed === service) {
          call.write({ status });
        }
      });
      call.once('cancelled', unsubscribe);
    },
  };
  server.addService(healthServiceDefinition(), handlers);
}
