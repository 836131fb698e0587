/**
 * Readiness covers the item table. The monitor asks DynamoDB for the table's status (DescribeTable)
 * and keeps grpc.health.v1 in step: SERVING only while the table is ACTIVE (or UPDATING, which still
 * serves). When the table is missing, or DynamoDB cannot be reached, the store reports NOT_SERVING —
 * so api-service's /readyz fails and data calls answer UNAVAILABLE — and checks again every
 * `whileNotReadyMs` until it is back. Where the store owns its table (DYNAMODB_CREATE_TABLE=true) it
 * creates it again, so an in-memory dynalite that restarted is usable again within about a second.
 *
 * While ready it checks every `whileReadyMs` (a dropped table is noticed without traffic), and at
 * once when a data call reports the table missing or DynamoDB down (`suspect`).
 */
import { AsyncResource } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GrpcHealth } from '@pr-canary/service-kit/grpc';
import { createTable, describeTableStatus, ensureTable } from './items-repository';

/** How often the table is checked, and for how long one check may wait. */
export interface TableChecks {
  /** While serving: rare, since a failing data call triggers a check at once. */
  whileReadyMs: number;
  /** While not serving: often, so the store is back soon after its table or DynamoDB is. */
  whileNotReadyMs: number;
  /** One check never waits longer than this for DynamoDB (a hung endpoint must not stall readiness). */
  timeoutMs: number;
}

export const TABLE_CHECKS: Readonly<TableChecks> = {
  whileReadyMs: 5_000,
  whileNotReadyMs: 250,
  timeoutMs: 1_000,
};
/** Statuses in which a table serves reads and writes. */
const SERVING_STATUSES = new Set(['ACTIVE', 'UPDATING']);

export type TableState = 'ready' | 'missing' | 'not_active' | 'unreachable' | 'refused';

/** Fixed text for logs: never the SDK's message (which can carry endpoints and request ids). */
const NOT_READY_REASONS: Readonly<Record<Exclude<TableState, 'ready'>, string>> = {
  missing: 'the item table does not exist',
  not_active: 'the item table is not ACTIVE yet',
  unreachable: 'DynamoDB cannot be reached',
  refused: 'DynamoDB refused DescribeTable (does the role allow dynamodb:DescribeTable?)',
};

export interface TableMonitorLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface TableMonitorDeps {
  client: DynamoDBDocumentClient;
  table: string;
  /** DYNAMODB_CREATE_TABLE: create the table whenever it is missing. */
  ownsTable: boolean;
  health: GrpcHealth;
  logger: TableMonitorLogger;
  /** TABLE_CHECKS unless given (tests set a cadence to tell which check brought the table back). */
  checks?: Partial<TableChecks>;
}

export interface TableMonitor {
  /**
   * The first check. Owning the table, it creates it and waits for ACTIVE; where it cannot yet (DynamoDB
   * not up, or refusing), or not owning it, health starts as whatever the table's state is and the
   * checks go on (creating the table, where owned, once they can).
   */
  start(): Promise<void>;
  /** A data call failed for lack of the table or of DynamoDB: check now rather than at the next tick. */
  suspect(): void;
  /** Stops checking; health is left as it is (shutdown sets it NOT_SERVING itself). */
  stop(): void;
  readonly state: TableState;
}

export function createTableMonitor(deps: TableMonitorDeps): TableMonitor {
  const { client, table, ownsTable, health, logger } = deps;
  const checks: TableChecks = { ...TABLE_CHECKS, ...deps.checks };
  const nextCheckMs = () => (state === 'ready' ? checks.whileReadyMs : checks.whileNotReadyMs);
  let state: TableState = 'ready';
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;
  let stopped = false;

  function enter(next: TableState) {
    if (next === state || stopped) return;
    const wasReady = state === 'ready';
    state = next;
    if (next === 'ready') {
      health.setAll('SERVING');
      logger.info({ table }, 'item table ready');
      return;
    }
    if (wasReady) health.setAll('NOT_SERVING');
    logger.warn(
      { table, reason: NOT_READY_REASONS[next], recreating: next === 'missing' && ownsTable },
      'item table not ready',
    );
  }

  async function check(): Promise<TableState> {
    const signal = AbortSignal.timeout(checks.timeoutMs);
    try {
      let status = await describeTableStatus(client, table, signal);
      if (status === undefined && ownsTable) {
        enter('missing');
        await createTable(client, table, signal);
        status = await describeTableStatus(client, table, signal);
      }
      if (status === undefined) return 'missing';
      return SERVING_STATUSES.has(status) ? 'ready' : 'not_active';
    } catch (error) {
      // A client fault (AccessDenied, validation) will not fix itself by retrying: say which it is.
      return (error as { $fault?: string }).$fault === 'client' ? 'refused' : 'unreachable';
    }
  }

  /** Owning the table: made (or found) and ACTIVE now, or false when DynamoDB cannot make it yet. */
  function madeTable(): Promise<boolean> {
    return ensureTable({ client, table }).then(
      () => true,
      () => false,
    );
  }

  function schedule(delayMs: number) {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(runCheck, delayMs);
    timer.unref();
  }

  function runCheck() {
    if (checking || stopped) return;
    clearTimeout(timer);
    checking = check().then((next) => {
      checking = undefined;
      enter(next);
      schedule(nextCheckMs());
    });
  }

  return {
    get state() {
      return state;
    },
    async start() {
      if (ownsTable && (await madeTable())) {
        schedule(nextCheckMs());
        return;
      }
      // The table is not ready yet — or, owning it, it could not be made yet (a dynalite still
      // starting beside the store): start anyway, NOT_SERVING, and let the checks make it once they can.
      const first = await check();
      if (first !== 'ready') {
        // Not ready from the start: say so before the server takes its first call.
        state = first;
        health.setAll('NOT_SERVING');
        logger.warn(
          { table, reason: NOT_READY_REASONS[first], recreating: first === 'missing' && ownsTable },
          'item table not ready',
        );
      }
      schedule(nextCheckMs());
    },
    // A data call suspects the table from inside its request: its canary scope and trace. The check
    // (and every check it schedules after it) runs where the monitor was made, outside any request —
    // else each later check's DescribeTable span joined that request's trace, and each log line
    // carried its trace id and canary key, for as long as the store ran.
    suspect: AsyncResource.bind(runCheck),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
