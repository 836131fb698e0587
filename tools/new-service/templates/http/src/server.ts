/**
 * __service_name__ entry point: parse config, wire logger and metrics, listen, and shut down in order
 * on SIGTERM/SIGINT (not ready → drain → close HTTP → flush telemetry → exit). Telemetry itself is
 * started by `--require @pr-canary/service-kit/register`.
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
import { buildApp, identityFromConfig, SERVICE_NAME } from './app';
import { type __Pascal__Config, loadConfig } from './config';

function loadConfigOrExit(): __Pascal__Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${SERVICE_NAME}: invalid configuration: ${err.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const identity = identityFromConfig(config);
  const logger = createLogger({ identity, level: config.LOG_LEVEL });
  routeLibraryLogs(logger);
  const metrics = createServiceMetrics({ identity });
  const metricsServer = await startMetricsServer({ metrics, port: config.METRICS_PORT, host: config.HOST });
  const app = buildApp({ config, logger, metrics });
  await app.ready();
  await app.listen({ host: config.HOST, port: config.PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  installShutdown({
    logger,
    markNotReady: () => app.markNotReady(),
    drainMs: config.SHUTDOWN_DRAIN_MS,
    close: async () => {
      await app.close();
      await metricsServer.close();
    },
    flush: shutdownTelemetry,
  });
  // Announce only once SIGTERM is handled: whoever waits for this line may stop us right after it.
  announceListening(logger, { port, metricsPort: metricsServer.port });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${SERVICE_NAME}: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
