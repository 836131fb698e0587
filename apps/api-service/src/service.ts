/**
 * The api's own wiring, on service-kit's `wireService` (logger, metrics and their server, faults,
 * listening): the real store client and the app. server.ts runs it as the process (service-kit's
 * runService), which shuts down in order on SIGTERM/SIGINT: not ready → drain → close HTTP → close
 * the store channel → close the metrics server → flush telemetry → exit. Telemetry itself is started
 * by `--require @pr-canary/service-kit/register`.
 */
import { fastifyServer, type RunningService, type StartOptions, wireService } from '@pr-canary/service-kit';
import { buildApp, SERVICE_NAME } from './app';
import type { ApiConfig } from './config';
import { createStoreClient } from './store-client';

export function startService(config: ApiConfig, options: StartOptions = {}): Promise<RunningService> {
  return wireService(config, { name: SERVICE_NAME, protocol: 'http', ...options }, (kit) => {
    const store = createStoreClient({
      addr: config.STORE_ADDR,
      deadlineMs: config.STORE_DEADLINE_MS,
      metrics: kit.metrics,
    });
    kit.onClose(() => store.close());
    const app = buildApp({ config, store, logger: kit.logger, metrics: kit.metrics, faults: kit.faults });
    return {
      server: fastifyServer(app),
      markNotReady: () => app.markNotReady(),
      listeningFields: { storeAddr: config.STORE_ADDR },
    };
  });
}
