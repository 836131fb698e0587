/**
 * store-service entry point: `npm start -w @pr-canary/store-service` (see README for dynalite).
 * Reads the environment once, starts the service, logs `listening` with the bound port, and shuts
 * down on SIGTERM/SIGINT: health NOT_SERVING → drain → gRPC tryShutdown (forced after 10 s) →
 * flush telemetry → exit.
 */
import { announceListening, ConfigError, installShutdown, shutdownTelemetry } from '@pr-canary/service-kit';
import { loadConfig, type StoreConfig } from './config';
import { startStoreService } from './service';

function configFromEnvironment(): StoreConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`store-service: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = configFromEnvironment();
  const store = await startStoreService(config);
  installShutdown({
    logger: store.logger,
    markNotReady: store.markNotReady,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    close: store.close,
    flush: shutdownTelemetry,
  });
  // Announce only once SIGTERM is handled: whoever waits for this line may stop us right after it.
  announceListening(store.logger, { port: store.port, metricsPort: store.metricsPort });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `store-service: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
