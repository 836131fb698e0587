/**
 * Builds __service_name__'s gRPC server from its dependencies; never listens (service.ts does, with
 * service-kit's `grpcServer`). Tests build it and bind it on port 0 (service-kit's `listenGrpc`).
 */
import * as grpc from '@grpc/grpc-js';
import {
  canaryServerInterceptor,
  type FaultInjector,
  faultServerInterceptor,
  type ServiceMetrics,
} from '@pr-canary/canary-context';
import { identityOf } from '@pr-canary/service-kit';
import { createGrpcHealth, type GrpcHealth } from '@pr-canary/service-kit/grpc';
import type { __Pascal__Config } from './config';
import { __short_camel__Contract, GRPC_SERVICE_NAME } from './contract';
import type { ErrorLogger } from './errors';
import { create__Pascal__Handlers } from './handlers';

export const SERVICE_NAME = '__service_name__';

export interface AppDependencies {
  config: __Pascal__Config;
  metrics: ServiceMetrics;
  logger: ErrorLogger;
  /** grpc.health.v1 (Check, Watch, List); see `createHealth`. */
  health: GrpcHealth;
  /** Faults on purpose (CANARY_FAULTS; service-kit's `createFaults`, undefined where none can be wanted). */
  faults?: FaultInjector;
}

export function identityFromConfig(config: __Pascal__Config) {
  return identityOf(SERVICE_NAME, config);
}

/** grpc.health.v1 for the whole server ("") and __Pascal__Service, all SERVING until shutdown. */
export function createHealth(): GrpcHealth {
  return createGrpcHealth([GRPC_SERVICE_NAME]);
}

/** The calls a `fail=` fault may name: every __Pascal__Service method. */
export function serviceCalls(): string[] {
  return Object.values(__short_camel__Contract().service).map((method) => method.path);
}

/**
 * A grpc.Server with __Pascal__Service and grpc.health.v1.Health, every call going through the canary
 * server interceptor (scope for the handler, `x-served-by` back to the caller, RPC metrics) and then
 * the fault interceptor.
 */
export function buildApp({ config, metrics, logger, health, faults }: AppDependencies): grpc.Server {
  const identity = identityFromConfig(config);
  const server = new grpc.Server({
    interceptors: [
      // CANARY_HEADER_TRUSTED=false: incoming `x-canary` is ignored.
      canaryServerInterceptor({ identity, trustKey: config.CANARY_HEADER_TRUSTED, metrics }),
      ...(faults ? [faultServerInterceptor(faults)] : []),
    ],
  });
  server.addService(__short_camel__Contract().service, create__Pascal__Handlers({ identity, logger }));
  health.addToServer(server);
  return server;
}
