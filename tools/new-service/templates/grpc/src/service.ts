/**
 * Wires __service_name__ from a parsed config: logger, metrics (and their server), health, the gRPC
 * server, listening. server.ts runs it as the process (service-kit's runService), which shuts down in
 * order on SIGTERM/SIGINT: health NOT_SERVING → drain → gRPC tryShutdown (forced after 10 s) → close
 * the metrics server → flush telemetry → exit.
 */
import type * as grpc from '@grpc/grpc-js';
import { createServiceMetrics } from '@pr-canary/canary-context';
import {
  createLogger,
  type RunningService,
  routeLibraryLogs,
  startMetricsServer,
} from '@pr-canary/service-kit';
import { buildApp, createHealth, HEALTH_NAMES, identityFromConfig, listen } from './app';
import type { __Pascal__Config } from './config';

/** How long tryShutdown may wait for in-flight calls before they are cut off. */
const FORCE_SHUTDOWN_AFTER_MS = 10_000;

export interface StartOptions {
  logger?: ReturnType<typeof createLogger>;
}

export async function startService(
  config: __Pascal__Config,
  options: StartOptions = {},
): Promise<RunningService> {
  const identity = identityFromConfig(config);
  const logger = options.logger ?? createLogger({ identity, level: config.LOG_LEVEL });
  // grpc-js logs through this process's service logger from now on (one per process; see service-kit).
  routeLibraryLogs(logger);
  const metrics = createServiceMetrics({ identity });
  const health = createHealth();
  const server = buildApp({
    identity,
    metrics,
    logger,
    trustCanaryKey: config.CANARY_HEADER_TRUSTED,
    health,
  });
  const metricsServer = await startMetricsServer({ metrics, port: config.METRICS_PORT, host: config.HOST });
  const port = await listen(server, config.HOST, config.PORT).catch(async (error: unknown) => {
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

function drain(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), FORCE_SHUTDOWN_AFTER_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
