/**
 * Wires __service_name__ from a parsed config: logger, metrics (and their server), the app,
 * listening. server.ts runs it as the process (service-kit's runService), which shuts down in order on
 * SIGTERM/SIGINT: not ready → drain → close HTTP → close the metrics server → flush telemetry → exit.
 * Telemetry itself is started by `--require @pr-canary/service-kit/register`.
 */
import { createServiceMetrics } from '@pr-canary/canary-context';
import {
  createLogger,
  type RunningService,
  routeLibraryLogs,
  startMetricsServer,
} from '@pr-canary/service-kit';
import { buildApp, identityFromConfig, listen } from './app';
import type { __Pascal__Config } from './config';

export interface StartOptions {
  logger?: ReturnType<typeof createLogger>;
}

export async function startService(
  config: __Pascal__Config,
  options: StartOptions = {},
): Promise<RunningService> {
  const identity = identityFromConfig(config);
  const logger = options.logger ?? createLogger({ identity, level: config.LOG_LEVEL });
  routeLibraryLogs(logger);
  const metrics = createServiceMetrics({ identity });
  const metricsServer = await startMetricsServer({ metrics, port: config.METRICS_PORT, host: config.HOST });
  const app = buildApp({ config, logger, metrics });
  const port = await listen(app, config.HOST, config.PORT).catch(async (error: unknown) => {
    await metricsServer.close();
    throw error;
  });
  return {
    port,
    metricsPort: metricsServer.port,
    logger,
    markNotReady: () => app.markNotReady(),
    close: async () => {
      await app.close();
      await metricsServer.close();
    },
  };
}
