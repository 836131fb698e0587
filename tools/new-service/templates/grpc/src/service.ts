/**
 * __service_name__'s own wiring, on service-kit's `wireService` (logger, metrics and their server,
 * faults, listening): health and the gRPC server. server.ts runs it as the process (service-kit's
 * runService), which shuts down in order on SIGTERM/SIGINT: health NOT_SERVING → drain → gRPC
 * tryShutdown (forced after 10 s) → close what the wiring opened → close the metrics server → flush
 * telemetry → exit.
 */
import { type RunningService, type StartOptions, wireService } from '@pr-canary/service-kit';
import { grpcServer } from '@pr-canary/service-kit/grpc';
import { buildApp, createHealth, SERVICE_NAME, serviceCalls } from './app';
import type { __Pascal__Config } from './config';

export function startService(config: __Pascal__Config, options: StartOptions = {}): Promise<RunningService> {
  const wiring = { name: SERVICE_NAME, protocol: 'grpc', knownCalls: serviceCalls, ...options } as const;
  return wireService(config, wiring, (kit) => {
    // Open your clients here (kit.onClose(() => client.close()) closes each after the server) and pass them in.
    const health = createHealth();
    const server = buildApp({ config, metrics: kit.metrics, logger: kit.logger, health, faults: kit.faults });
    return { server: grpcServer(server), markNotReady: () => health.setAll('NOT_SERVING') };
  });
}
