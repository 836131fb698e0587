/**
 * The store's own wiring, on service-kit's `wireService` (logger, metrics and their server, faults,
 * listening): the DynamoDB client, the table (created where it owns it, then watched), the repository
 * and the gRPC server. server.ts runs it as the process (service-kit's runService); other workspaces'
 * tests can start a real store in-process. On SIGTERM/SIGINT: health NOT_SERVING (and the table
 * monitor stopped) → drain → gRPC tryShutdown (forced after 10 s) → the DynamoDB client → the metrics
 * server → flush telemetry → exit.
 */
import { itemsServiceDefinition } from '@pr-canary/proto';
import { type RunningService, type StartOptions, wireService } from '@pr-canary/service-kit';
import { grpcServer } from '@pr-canary/service-kit/grpc';
import { buildApp, createHealth, identityFromConfig, SERVICE_NAME } from './app';
import type { StoreConfig } from './config';
import { createDocumentClient } from './dynamodb-client';
import { createItemsRepository } from './items-repository';
import { createTableMonitor, type TableChecks } from './table-monitor';

/** The calls a `fail=` fault may name: every ItemsService method. */
const ITEMS_CALLS = Object.values(itemsServiceDefinition()).map((method) => method.path);

export interface StoreStartOptions extends StartOptions {
  /** The table monitor's cadence, where not TABLE_CHECKS (tests that tell its checks apart). */
  tableChecks?: Partial<TableChecks>;
}

export function startService(config: StoreConfig, options: StoreStartOptions = {}): Promise<RunningService> {
  const { tableChecks, ...kitOptions } = options;
  const wiring = {
    name: SERVICE_NAME,
    protocol: 'grpc',
    knownCalls: () => ITEMS_CALLS,
    ...kitOptions,
  } as const;
  return wireService(config, wiring, async (kit) => {
    const client = createDocumentClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT });
    kit.onClose(() => client.destroy());
    const health = createHealth();
    const table = createTableMonitor({
      client,
      table: config.DYNAMODB_TABLE,
      ownsTable: config.DYNAMODB_CREATE_TABLE,
      health,
      logger: kit.logger,
      checks: tableChecks,
    });
    await table.start();
    kit.onClose(() => table.stop());
    const server = buildApp({
      repo: createItemsRepository({ client, table: config.DYNAMODB_TABLE, onUnavailable: table.suspect }),
      logger: kit.logger,
      identity: identityFromConfig(config),
      metrics: kit.metrics,
      health,
      trustCanaryKey: config.CANARY_HEADER_TRUSTED,
      faults: kit.faults,
    });
    return {
      server: grpcServer(server),
      markNotReady() {
        table.stop();
        health.setAll('NOT_SERVING');
      },
    };
  });
}
