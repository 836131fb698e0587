import * as grpc from '@grpc/grpc-js';
import {
  canaryServerInterceptor,
  createServiceMetrics,
  type InstanceIdentity,
  type ServiceMetrics,
} from '@pr-canary/canary-context';
import { createLogger, routeLibraryLogs, startMetricsServer } from '@pr-canary/service-kit';
import { HealthImplementation } from 'grpc-health-check';
import type { __Pascal__Config } from './config';
import { __short_camel__Contract, GRPC_SERVICE_NAME } from './contract';
import { create__Pascal__Handlers } from './handlers';

export const SERVICE_NAME = '__service_name__';
/** How long tryShutdown may wait for in-flight calls before they are cut off. */
const FORCE_SHUTDOWN_AFTER_MS = 10_000;
/** Health names reported: "" is the whole server. */
const HEALTH_NAMES = ['', GRPC_SERVICE_NAME];

export interface ServerDeps {
  identity: InstanceIdentity;
  metrics: ServiceMetrics;
  /** CANARY_HEADER_TRUSTED: when false, incoming `x-canary` is ignored. */
  trustCanaryKey: boolean;
  health: HealthImplementation;
}

/**
 * A grpc.Server with __Pascal__Service and grpc.health.v1.Health, every call going through the canary
 * server interceptor (scope for the handler, `x-served-by` back to the caller, RPC metrics). It does
 * not bind a port.
 */
export function createServer(deps: ServerDeps): grpc.Server {
  const server = new grpc.Server({
    interceptors: [
      canaryServerInterceptor({
        identity: deps.identity,
        trustKey: deps.trustCanaryKey,
        metrics: deps.metrics,
      }),
    ],
  });
  server.addService(__short_camel__Contract().service, create__Pascal__Handlers({ identity: deps.identity }));
  deps.health.addToServer(server);
  return server;
}

export function createHealth(): HealthImplementation {
  return new HealthImplementation(Object.fromEntries(HEALTH_NAMES.map((name) => [name, 'SERVING'])));
}

export interface Running__Pascal__ {
  port: number;
  metricsPort: number;
  logger: ReturnType<typeof createLogger>;
  /** Shutdown step 1: health reports NOT_SERVING from now on. */
  markNotReady(): void;
  /** Stops accepting, waits for in-flight calls (forcing them after 10 s), closes the metrics server. */
  close(): Promise<void>;
}

/** Wires the whole service from a parsed config; server.ts adds signals on top. */
export async function start__Pascal__Service(config: __Pascal__Config): Promise<Running__Pascal__> {
  const identity: InstanceIdentity = {
    service: SERVICE_NAME,
    track: config.CANARY_TRACK,
    version: config.SERVICE_VERSION,
  };
  const logger = createLogger({ identity, level: config.LOG_LEVEL });
  routeLibraryLogs(logger);
  const metrics = createServiceMetrics({ identity });
  const health = createHealth();
  const server = createServer({ identity, metrics, trustCanaryKey: config.CANARY_HEADER_TRUSTED, health });
  const metricsServer = await startMetricsServer({ metrics, port: config.METRICS_PORT, host: config.HOST });
  const port = await bind(server, config.HOST, config.PORT).catch(async (error: unknown) => {
    await metricsServer.close();
    throw error;
  });
  return {
    port,
    metricsPort: metricsServer.port,
    logger,
    markNotReady() {
      for (const name of HEALTH_NAMES) health.setStatus(name, 'NOT_SERVING');
    },
    async close() {
      await drain(server);
      await metricsServer.close();
    },
  };
}

/** Binds plaintext on host:port (port 0 = ephemeral) and resolves with the bound port. */
export function bind(server: grpc.Server, host: string, port: number): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
}

function drain(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), FORCE_SHUTDOWN_AFTER_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
