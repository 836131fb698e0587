/**
 * Builds the store's gRPC server from its dependencies; never listens (service.ts does, with
 * service-kit's `grpcServer`). Tests build it against dynalite and bind it on 127.0.0.1:0
 * (service-kit's `listenGrpc`).
 */
import * as grpc from '@grpc/grpc-js';
import {
  canaryServerInterceptor,
  type FaultInjector,
  faultServerInterceptor,
  type InstanceIdentity,
  type ServiceMetrics,
} from '@pr-canary/canary-context';
import { ITEMS_SERVICE_NAME, itemsServiceDefinition } from '@pr-canary/proto';
import { identityOf } from '@pr-canary/service-kit';
import { createGrpcHealth, type GrpcHealth } from '@pr-canary/service-kit/grpc';
import type { StoreConfig } from './config';
import type { HandlerLogger } from './errors';
import { createItemsHandlers } from './handlers';
import type { ItemsRepository } from './items-repository';

export const SERVICE_NAME = 'store-service';

export function identityFromConfig(config: StoreConfig): InstanceIdentity {
  return identityOf(SERVICE_NAME, config);
}

/** grpc.health.v1 for the whole server ("") and ItemsService, all SERVING (main flips them at shutdown, the table monitor with the table). */
export function createHealth(): GrpcHealth {
  return createGrpcHealth([ITEMS_SERVICE_NAME]);
}

export interface AppDependencies {
  repo: ItemsRepository;
  logger: HandlerLogger;
  identity: InstanceIdentity;
  metrics: ServiceMetrics;
  /** Serving status for grpc.health.v1; defaults to a fresh registry with everything SERVING. */
  health?: GrpcHealth;
  /** CANARY_HEADER_TRUSTED: when false, incoming `x-canary` is ignored. Default true. */
  trustCanaryKey?: boolean;
  /** Faults on purpose (CANARY_FAULTS); acted on after the canary interceptor, so metrics and served-by see them. */
  faults?: FaultInjector;
}

/**
 * A grpc.Server with ItemsService and grpc.health.v1.Health, every call (health included) going
 * through the canary server interceptor: canary scope for the handler, `x-served-by` back to the
 * caller, RPC metrics. It does not listen; see `listen`.
 */
export function buildApp(deps: AppDependencies): grpc.Server {
  const server = new grpc.Server({
    interceptors: [
      canaryServerInterceptor({
        identity: deps.identity,
        trustKey: deps.trustCanaryKey ?? true,
        metrics: deps.metrics,
      }),
      ...(deps.faults ? [faultServerInterceptor(deps.faults)] : []),
    ],
  });
  server.addService(itemsServiceDefinition(), createItemsHandlers({ repo: deps.repo, logger: deps.logger }));
  (deps.health ?? createHealth()).addToServer(server);
  return server;
}
