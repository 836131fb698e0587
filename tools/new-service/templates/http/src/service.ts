/**
 * __service_name__'s own wiring, on service-kit's `wireService` (logger, metrics and their server,
 * faults, listening): the app. server.ts runs it as the process (service-kit's runService), which shuts
 * down in order on SIGTERM/SIGINT: not ready → drain → close HTTP → close what the wiring opened →
 * close the metrics server → flush telemetry → exit. Telemetry itself is started by
 * `--require @pr-canary/service-kit/register`.
 */
import { fastifyServer, type RunningService, type StartOptions, wireService } from '@pr-canary/service-kit';
import { buildApp, SERVICE_NAME } from './app';
import type { __Pascal__Config } from './config';

export function startService(config: __Pascal__Config, options: StartOptions = {}): Promise<RunningService> {
  return wireService(config, { name: SERVICE_NAME, protocol: 'http', ...options }, (kit) => {
    // Open your clients here (kit.onClose(() => client.close()) closes each after the app) and pass them in.
    const app = buildApp({ config, logger: kit.logger, metrics: kit.metrics, faults: kit.faults });
    return { server: fastifyServer(app), markNotReady: () => app.markNotReady() };
  });
}
