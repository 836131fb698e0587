import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type * as grpc from '@grpc/grpc-js';
import { createServiceMetrics, FaultInjector } from '@pr-canary/canary-context';
import { itemsServiceDefinition } from '@pr-canary/proto';
import {
  createLogger,
  type MetricsServer,
  type RunningService,
  routeLibraryLogs,
  startMetricsServer,
} from '@pr-canary/service-kit';
import { buildApp, identityFromConfig, listen } from './app';
import type { StoreConfig } from './config';
import { createDocumentClient } from './dynamodb-client';
import { createHealthRegistry, type HealthRegistry } from './health';
import { createItemsRepository } from './items-repository';
import { createTableMonitor, type TableMonitor } from './table-monitor';

/** The calls a `fail=` fault may name: every ItemsService method. */
const ITEMS_CALLS = Object.values(itemsServiceDefinition()).map((method) => method.path);
/** How long tryShutdown may wait for in-flight calls before they are cut off. */
const FORCE_SHUTDOWN_AFTER_MS = 10_000;

/**
 * The running store. `markNotReady` stops the table monitor and reports NOT_SERVING for good; `close`
 * stops accepting, waits for in-flight calls (forcing them after 10 s) and closes the rest.
 */
export interface RunningStore extends RunningService {
  health: HealthRegistry;
  /** Watches the item table and keeps `health` in step with it (see table-monitor.ts). */
  table: TableMonitor;
}

export interface StartOptions {
  logger?: ReturnType<typeof createLogger>;
}

/**
 * Wires the whole service from a parsed config: logger, metrics (and their server), DynamoDB
 * client, optional table creation, repository, gRPC server, listening. server.ts runs it as the
 * process (service-kit's runService); other workspaces' tests can start a real store in-process.
 */
export async function startService(config: StoreConfig, options: StartOptions = {}): Promise<RunningStore> {
  const identity = identityFromConfig(config);
  const logger = options.logger ?? createLogger({ identity, level: config.LOG_LEVEL });
  // grpc-js logs through this process's service logger from now on (one per process; see service-kit).
  routeLibraryLogs(logger);
  const metrics = createServiceMetrics({ identity });
  const faults = new FaultInjector({
    protocol: 'grpc',
    spec: config.CANARY_FAULTS,
    knownCalls: () => ITEMS_CALLS,
    onInjected: (kind) => metrics.countInjectedFault(kind),
    logger,
  });
  const client = createDocumentClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT });
  const health = createHealthRegistry();
  const table = createTableMonitor({
    client,
    table: config.DYNAMODB_TABLE,
    ownsTable: config.DYNAMODB_CREATE_TABLE,
    health,
    logger,
  });
  await table.start().catch((error: unknown) => {
    client.destroy();
    throw error;
  });
  const server = buildApp({
    repo: createItemsRepository({ client, table: config.DYNAMODB_TABLE, onUnavailable: table.suspect }),
    logger,
    identity,
    metrics,
    health,
    trustCanaryKey: config.CANARY_HEADER_TRUSTED,
    faults,
  });
  const metricsServer = await startMetricsServer({
    metrics,
    port: config.METRICS_PORT,
    host: config.HOST,
    faults: config.CANARY_FAULTS_ADMIN ? faults : undefined,
  }).catch((error: unknown) => {
    table.stop();
    client.destroy();
    throw error;
  });
  const port = await listen(server, config.HOST, config.PORT).catch(async (error: unknown) => {
    table.stop();
    await metricsServer.close();
    client.destroy();
    throw error;
  });
  return {
    port,
    metricsPort: metricsServer.port,
    health,
    table,
    logger,
    markNotReady() {
      table.stop();
      health.setAll('NOT_SERVING');
    },
    close: () => {
      table.stop();
      return closeAll(server, metricsServer, client);
    },
  };
}

async function closeAll(server: grpc.Server, metricsServer: MetricsServer, client: DynamoDBDocumentClient) {
  await drainGrpc(server);
  await metricsServer.close();
  client.destroy();
}

function drainGrpc(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), FORCE_SHUTDOWN_AFTER_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
