/**
 * A service's `startService`, the part every service does alike: identity, logger, grpc-js's logs
 * routed, request metrics and their server, faults — then the service's own wiring (`build`), then
 * listening; what was opened is closed again, in reverse, when a later step fails. A service's
 * `src/service.ts` is its `build` and nothing else.
 */
import {
  createServiceMetrics,
  FaultInjector,
  type FaultInjectorOptions,
  type FaultProtocol,
  hasFaults,
  type InstanceIdentity,
  type ServiceMetrics,
} from '@pr-canary/canary-context';
import type pino from 'pino';
import type { CommonEnv } from './config';
import { routeLibraryLogs } from './library-logs';
import { createLogger } from './logger';
import { startMetricsServer } from './metrics-server';
import type { RunningService } from './run-service';
import type { ServiceServer } from './service-server';

/** The instance's identity (what log lines, spans, metrics and `x-served-by` name), from its config. */
export function identityOf(
  service: string,
  config: Pick<CommonEnv, 'CANARY_TRACK' | 'SERVICE_VERSION'>,
): InstanceIdentity {
  return { service, track: config.CANARY_TRACK, version: config.SERVICE_VERSION };
}

/**
 * The instance's faults from `CANARY_FAULTS`, every injected one logged and counted — or undefined
 * where none can be wanted (no `CANARY_FAULTS` and no admin endpoint to set them at run time): then
 * the app installs no fault plugin or interceptor, and a request pays nothing for faults.
 */
export function createFaults(options: {
  protocol: FaultProtocol;
  config: Pick<CommonEnv, 'CANARY_FAULTS' | 'CANARY_FAULTS_ADMIN'>;
  logger: FaultInjectorOptions['logger'];
  metrics: ServiceMetrics;
  /** The calls a `fail=` fault may name (gRPC method paths); HTTP apps tell theirs once routed. */
  knownCalls?: () => readonly string[];
}): FaultInjector | undefined {
  if (!options.config.CANARY_FAULTS_ADMIN && !hasFaults(options.config.CANARY_FAULTS)) return undefined;
  return new FaultInjector({
    protocol: options.protocol,
    spec: options.config.CANARY_FAULTS,
    knownCalls: options.knownCalls,
    onInjected: (kind) => options.metrics.countInjectedFault(kind),
    logger: options.logger,
  });
}

export interface WireServiceOptions {
  /** The service's name (`SERVICE_NAME`). */
  name: string;
  protocol: FaultProtocol;
  /** gRPC: the method paths a `fail=` fault may name. */
  knownCalls?: () => readonly string[];
  /** A logger instead of a new one on stdout (tests). */
  logger?: pino.Logger;
}

/** What a service's own `startService(config, options)` takes besides its config. */
export type StartOptions = Pick<WireServiceOptions, 'logger'>;

/** What the kit made for the service, handed to its `build`. */
export interface ServiceBasics {
  identity: InstanceIdentity;
  logger: pino.Logger;
  metrics: ServiceMetrics;
  /**
   * From `CANARY_FAULTS`, served on the metrics port's `/faults` where `CANARY_FAULTS_ADMIN` allows
   * it; undefined where no faults can be wanted (see `createFaults`).
   */
  faults: FaultInjector | undefined;
  /**
   * Something the service opened (a client, a monitor): closed after the server when the service
   * stops, or when a later start step fails — the last registered first.
   */
  onClose(close: () => unknown): void;
}

/** What a service's `build` returns: its server, not listening yet, and how it stops being ready. */
export interface ServiceWiring {
  server: ServiceServer;
  /** Shutdown step 1: readiness fails from now on, while in-flight work still finishes. */
  markNotReady(): void;
  /** Extra fields for the `listening` line. */
  listeningFields?: Record<string, unknown>;
}

/**
 * Starts a service: the kit's parts, then `build`, then the server listening on `HOST:PORT`. The
 * returned `close` closes the server (finishing in-flight work), then what `build` registered with
 * `onClose`, then the metrics server.
 */
export async function wireService(
  config: CommonEnv,
  options: WireServiceOptions,
  build: (basics: ServiceBasics) => ServiceWiring | Promise<ServiceWiring>,
): Promise<RunningService> {
  const identity = identityOf(options.name, config);
  const logger = options.logger ?? createLogger({ identity, level: config.LOG_LEVEL });
  const metrics = createServiceMetrics({ identity });
  // grpc-js logs through this process's service logger from now on (one per process; see library-logs.ts).
  routeLibraryLogs(logger, {
    // Only where the key is trusted: elsewhere it is ignored entirely, invalid or not.
    onRefusedCanaryKey: config.CANARY_HEADER_TRUSTED
      ? () => metrics.countInvalidKey('grpc', 'not_digits')
      : undefined,
  });
  const faults = createFaults({
    protocol: options.protocol,
    config,
    logger,
    metrics,
    knownCalls: options.knownCalls,
  });
  const metricsServer = await startMetricsServer({
    metrics,
    port: config.METRICS_PORT,
    host: config.HOST,
    faults: config.CANARY_FAULTS_ADMIN ? faults : undefined,
  });
  const closers: (() => unknown)[] = [() => metricsServer.close()];
  // Every closer runs, the last registered first, even when one fails; the first failure is thrown after.
  const closeOpened = async () => {
    const failures: unknown[] = [];
    for (const close of closers.splice(0).reverse())
      await Promise.resolve()
        .then(close)
        .catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  };
  try {
    const wiring = await build({
      identity,
      logger,
      metrics,
      faults,
      onClose: (close) => closers.push(close),
    });
    const port = await wiring.server.listen(config.HOST, config.PORT);
    return {
      port,
      metricsPort: metricsServer.port,
      logger,
      listeningFields: wiring.listeningFields,
      markNotReady: () => wiring.markNotReady(),
      close: async () => {
        await wiring.server.close();
        await closeOpened();
      },
    };
  } catch (error) {
    // The start failed: what it opened is closed, and the failure (not a later one) is what is reported.
    await closeOpened().catch(() => undefined);
    throw error;
  }
}
