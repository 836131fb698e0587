/**
 * api-service entry point: parse config, wire the real store client, logger and metrics, listen,
 * and shut down in order on SIGTERM/SIGINT (not ready → drain → close HTTP → close store channel →
 * flush telemetry → exit). Telemetry itself is started by `--require @pr-canary/service-kit/register`.
 */
import { createServiceMetrics } from '@pr-canary/canary-context';
import {
  announceListening,
  ConfigError,
  createLogger,
  installShutdown,
  routeLibraryLogs,
  shutdownTelemetry,
  startMetricsServer,
} from '@pr-canary/service-kit';
import type { FastifyInstance } from 'fastify';
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

/**
 * Listens and returns the bound port. Fastify logs its own "Server listening at" line on listen, with
 * no option to turn it off; the service's one `listening` line (both ports) is written by main, so
 * the app's logger is silenced for exactly the listen call (plugins are loaded by `ready()` before).
 */
async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.ready();
  const level = app.log.level;
  app.log.level = 'silent';
  try {
    await app.listen({ host, port });
  } finally {
    app.log.level = level;
  }
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : port;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const identity = identityFromConfig(config);
  const logger = createLogger({ identity, level: config.LOG_LEVEL });
  routeLibraryLogs(logger);
  const metrics = createServiceMetrics({ identity });
  const metricsServer = await startMetricsServer({ metrics, port: config.METRICS_PORT, host: config.HOST });
  const store = createStoreClient({ addr: config.STORE_ADDR, deadlineMs: config.STORE_DEADLINE_MS, metrics });
  const app = buildApp({ config, store, logger, metrics });

  const port = await listen(app, config.HOST, config.PORT);
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
  // Announce only once SIGTERM is handled: whoever waits for this line may stop us right after it.
  announceListening(logger, { port, metricsPort: metricsServer.port, storeAddr: config.STORE_ADDR });
}

main().catch((err: unknown) => {
  process.stderr.write(`api-service: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
