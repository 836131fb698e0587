/**
 * Wires the whole api from a parsed config: logger, metrics (and their server), the real store
 * client, the app, listening. server.ts runs it as the process (service-kit's runService), which
 * shuts down in order on SIGTERM/SIGINT: not ready → drain → close HTTP → close the store channel →
 * close the metrics server → flush telemetry → exit. Telemetry itself is started by
 * `--require @pr-canary/service-kit/register`.
 */
import { createServiceMetrics } from '@pr-canary/canary-context';
import {
  createLogger,
  type RunningService,
  routeLibraryLogs,
  startMetricsServer,
} from '@pr-canary/service-kit';
import { buildApp, faultsFor, identityFromConfig, listen } from './app';
import type { ApiConfig } from './config';
import { createStoreClient } from './store-client';

export interface StartOptions {
  logger?: ReturnType<typeof createLogger>;
}

export async function startService(config: ApiConfig, options: StartOptions = {}): Promise<RunningService> {
  const identity = identityFromConfig(config);
  const logger = options.logger ?? createLogger({ identity, level: config.LOG_LEVEL });
  // grpc-js logs through this process's service logger from now on (one per process; see service-kit).
  routeLibraryLogs(logger);
  const metrics = createServiceMetrics({ identity });
  const faults = faultsFor(config, logger, metrics);
  const metricsServer = await startMetricsServer({
    metrics,
    port: config.METRICS_PORT,
    host: config.HOST,
    faults: config.CANARY_FAULTS_ADMIN ? faults : undefined,
  });
  const store = createStoreClient({ addr: config.STORE_ADDR, deadlineMs: config.STORE_DEADLINE_MS, metrics });
  const app = buildApp({ config, store, logger, metrics, faults });
  const port = await listen(app, config.HOST, config.PORT).catch(async (error: unknown) => {
    store.close();
    await metricsServer.close();
    throw error;
  });
  return {
    port,
    metricsPort: metricsServer.port,
    logger,
    listeningFields: { storeAddr: config.STORE_ADDR },
    markNotReady: () => app.markNotReady(),
    close: async () => {
      await app.close();
      store.close();
      await metricsServer.close();
    },
  };
}
