/**
 * api-service entry point: parse config, wire the real store client, logger and metrics, listen,
 * and shut down in order on SIGTERM/SIGINT (not ready → drain → close HTTP → close store channel →
 * flush telemetry → exit). Telemetry itself is started by `--require @pr-canary/canary-context/register`.
 */
import {
  ConfigError,
  createLogger,
  createServiceMetrics,
  installShutdown,
  shutdownTelemetry,
  startMetricsServer,
} from '@pr-canary/canary-context';
import { buildApp, identityFromConfig } from './app';
import { type ApiConfig, loadConfig } from './config';
import { createStoreClient } from './store-client';

function loadConfigOrExit(): ApiConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`api-service: invalid configuration: ${err.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const identity = identityFromConfig(config);
  const logger = createLogger({ identity, level: config.LOG_LEVEL });
  const metrics = createServiceMetrics({ identity });
  const metricsServer = await startMetricsServer({ metrics, port: config.METRICS_PORT });
  const store = createStoreClient({ addr: config.STORE_ADDR, deadlineMs: config.STORE_DEADLINE_MS, metrics });
  const app = buildApp({ config, store, logger, metrics });

  await app.listen({ host: '0.0.0.0', port: config.PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info({ port, metricsPort: metricsServer.port, storeAddr: config.STORE_ADDR }, 'listening');

  installShutdown({
    logger,
    markNotReady: () => app.markNotReady(),
    drainMs: config.SHUTDOWN_DRAIN_MS,
    close: async () => {
      await app.close();
      store.close();
      await metricsServer.close();
    },
    flush: shutdownTelemetry,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`api-service: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
