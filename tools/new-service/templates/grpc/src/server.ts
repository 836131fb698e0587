/**
 * __service_name__ entry point: reads the environment once, starts the service, announces
 * `listening`, and shuts down on SIGTERM/SIGINT: health NOT_SERVING → drain → gRPC tryShutdown
 * (forced after 10 s) → flush telemetry → exit.
 */
import { announceListening, ConfigError, installShutdown, shutdownTelemetry } from '@pr-canary/service-kit';
import { type __Pascal__Config, loadConfig } from './config';
import { SERVICE_NAME, start__Pascal__Service } from './service';

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
  const service = await start__Pascal__Service(config);
  installShutdown({
    logger: service.logger,
    markNotReady: service.markNotReady,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    close: service.close,
    flush: shutdownTelemetry,
  });
  // Announce only once SIGTERM is handled: whoever waits for this line may stop us right after it.
  announceListening(service.logger, { port: service.port, metricsPort: service.metricsPort });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${SERVICE_NAME}: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
