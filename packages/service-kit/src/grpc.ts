/**
 * `@pr-canary/service-kit/grpc`: what every gRPC service needs around its grpc-js server — binding
 * it, draining it, and grpc.health.v1 (the gRPC maintainers' `grpc-health-check`: Check, Watch,
 * List) with the statuses a service flips at shutdown.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { FORCE_SHUTDOWN_AFTER_MS, type ServiceServer } from './service-server';

/** Binds plaintext on host:port (port 0 = any free port; IPv6 literals bracketed) and resolves with the bound port. */
export function listenGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
}

/** Stops accepting, lets in-flight calls finish and cuts off what is still running after `forceAfterMs`. */
export function drainGrpc(server: grpc.Server, forceAfterMs = FORCE_SHUTDOWN_AFTER_MS): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), forceAfterMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** A grpc-js server as the service's server (`close` = `drainGrpc`). */
export function grpcServer(server: grpc.Server): ServiceServer {
  return {
    listen: (host, port) => listenGrpc(server, host, port),
    close: () => drainGrpc(server),
  };
}

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** grpc.health.v1 statuses by service name ("" is the whole server). */
export interface GrpcHealth {
  status(service: string): ServingStatus | undefined;
  set(service: string, status: ServingStatus): void;
  /** Sets every name at once (NOT_SERVING when shutdown starts). */
  setAll(status: ServingStatus): void;
  /** Adds grpc.health.v1.Health, answering from these statuses, to `server`. */
  addToServer(server: grpc.Server): void;
}

/**
 * Health for `names` (`""`, the whole server, is always included), all SERVING. Watch streams every
 * change; a set to the status a name already has is not a change.
 */
export function createGrpcHealth(names: readonly string[]): GrpcHealth {
  const statuses = new Map<string, ServingStatus>(
    [...new Set(['', ...names])].map((name) => [name, 'SERVING']),
  );
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
