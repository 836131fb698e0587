/**
 * Builds __service_name__'s gRPC server from its dependencies; never listens (`listen` below does, for
 * service.ts). Tests build it and listen on port 0.
 */
import * as grpc from '@grpc/grpc-js';
import {
  canaryServerInterceptor,
  type InstanceIdentity,
  type ServiceMetrics,
} from '@pr-canary/canary-context';
import { HealthImplementation } from 'grpc-health-check';
import type { __Pascal__Config } from './config';
import { __short_camel__Contract, GRPC_SERVICE_NAME } from './contract';
import type { ErrorLogger } from './errors';
import { create__Pascal__Handlers } from './handlers';

export const SERVICE_NAME = '__service_name__';
/** Health names reported: "" is the whole server. */
export const HEALTH_NAMES = ['', GRPC_SERVICE_NAME];

export interface AppDependencies {
  identity: InstanceIdentity;
  metrics: ServiceMetrics;
  logger: ErrorLogger;
  /** CANARY_HEADER_TRUSTED: when false, incoming `x-canary` is ignored. */
  trustCanaryKey: boolean;
  /** grpc.health.v1 (Check, Watch, List), from the gRPC maintainers' grpc-health-check. */
  health: HealthImplementation;
}

export function identityFromConfig(config: __Pascal__Config): InstanceIdentity {
  return { service: SERVICE_NAME, track: config.CANARY_TRACK, version: config.SERVICE_VERSION };
}

/** Every name in HEALTH_NAMES SERVING. */
export function createHealth(): HealthImplementation {
  return new HealthImplementation(Object.fromEntries(HEALTH_NAMES.map((name) => [name, 'SERVING'])));
}

/**
 * A grpc.Server with __Pascal__Service and grpc.health.v1.Health, every call going through the canary
 * server interceptor (scope for the handler, `x-served-by` back to the caller, RPC metrics).
 */
export function buildApp(deps: AppDependencies): grpc.Server {
  const server = new grpc.Server({
    interceptors: [
      canaryServerInterceptor({
        identity: deps.identity,
        trustKey: deps.trustCanaryKey,
        metrics: deps.metrics,
      }),
    ],
  });
  server.addService(
    __short_camel__Contract().service,
    create__Pascal__Handlers({ identity: deps.identity, logger: deps.logger }),
  );
  deps.health.addToServer(server);
  return server;
}

/** Binds plaintext on host:port (port 0 = any free port) and resolves with the bound port. */
export function listen(server: grpc.Server, host: string, port: number): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
}
