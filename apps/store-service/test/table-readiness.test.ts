/**
 * Readiness covers the item table, against a real dynalite: a dropped table or a dynalite that
 * restarted empty makes data calls UNAVAILABLE (reason `table_missing`, never INTERNAL) and health
 * NOT_SERVING, and the store recovers by itself once the table or the database is back — re-creating
 * the table where it owns it (DYNAMODB_CREATE_TABLE=true).
 *
 * The while-ready check is pushed out past every wait here, so a change of health can only come from
 * a failing data call (`suspect`) or the while-not-ready checks: no assertion reads a clock.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import * as grpc from '@grpc/grpc-js';
import {
  type HealthClient,
  healthClientConstructor,
  itemsServiceClientConstructor,
  UNAVAILABLE_REASON_KEY,
} from '@pr-canary/proto';
import { createLogger, type RunningService } from '@pr-canary/service-kit';
import { closedAfter, freePort, startDynalite, storeServiceEnv, waitUntil } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config';
import { createDocumentClient } from '../src/dynamodb-client';
import { ensureTable } from '../src/items-repository';
import { startService } from '../src/service';
import { expectStatus, itemsApi, itemsServingStatus, TEST_IDENTITY } from './helper';

/** Longer than any waitUntil: the monitor's while-ready tick never fires during a test. */
const NO_READY_TICK = { whileReadyMs: 3_600_000 };
/** A dynalite closed after the test (a test may close it earlier, to take it down). */
const dynalite = (port?: number) => closedAfter(onTestFinished, startDynalite({ port }));

/** The store's log lines, parsed (level info), when a test reads them. */
type LogLines = Record<string, unknown>[];

async function startStore(endpoint: string, table: string, ownsTable: boolean, logLines?: LogLines) {
  const logger = logLines
    ? createLogger({
        identity: TEST_IDENTITY,
        level: 'info',
        destination: { write: (line: string) => void logLines.push(JSON.parse(line)) },
      })
    : createLogger({ identity: TEST_IDENTITY, level: 'silent' });
  const store: RunningService = await startService(
    loadConfig(storeServiceEnv({ endpoint, table, createTable: ownsTable })),
    { logger, tableChecks: NO_READY_TICK },
  );
  const address = `127.0.0.1:${store.port}`;
  const items = new (itemsServiceClientConstructor())(address, grpc.credentials.createInsecure());
  const health: HealthClient = new (healthClientConstructor())(address, grpc.credentials.createInsecure());
  onTestFinished(async () => {
    items.close();
    health.close();
    await store.close();
  });
  const status = () => itemsServingStatus(health);
  return { store, api: itemsApi(items), status };
}

function tableAdmin(endpoint: string) {
  const client = createDocumentClient({ region: 'us-east-1', endpoint });
  onTestFinished(() => client.destroy());
  return {
    drop: (table: string) => client.send(new DeleteTableCommand({ TableName: table })),
    create: (table: string) => ensureTable({ client, table }),
  };
}

const anItem = { name: 'kettle', description: '', priceCents: 1 };

describe('a table the store does not own (DYNAMODB_CREATE_TABLE=false)', () => {
  it('starts NOT_SERVING while the table is missing and serves once it has been created', async () => {
    const db = await dynalite();
    const table = `items-${randomUUID()}`;
    const { api, status } = await startStore(db.endpoint, table, false);
    expect(await status()).toBe('NOT_SERVING');
    const error = await expectStatus(api.list({ pageSize: 0, pageToken: '' }), grpc.status.UNAVAILABLE);
    expect(error.details).toBe('the item table does not exist; retry once the store reports SERVING again');

    await tableAdmin(db.endpoint).create(table);
    await waitUntil(async () => (await status()) === 'SERVING');
    expect((await api.create({ ...anItem })).item?.version).toBe(1);
  });

  it('a dropped table: UNAVAILABLE table_missing (not INTERNAL), NOT_SERVING, then back once re-created', async () => {
    const db = await dynalite();
    const table = `items-${randomUUID()}`;
    const admin = tableAdmin(db.endpoint);
    await admin.create(table);
    const { api, status } = await startStore(db.endpoint, table, false);
    expect(await status()).toBe('SERVING');
    const created = await api.create({ ...anItem });

    await admin.drop(table);
    const error = await expectStatus(api.get({ id: created.item?.id ?? '' }), grpc.status.UNAVAILABLE);
    expect(error.metadata.get(UNAVAILABLE_REASON_KEY)).toEqual(['table_missing']);
    // The failed call told the monitor: readiness follows without waiting for its next tick.
    await waitUntil(async () => (await status()) === 'NOT_SERVING');

    await admin.create(table);
    await waitUntil(async () => (await status()) === 'SERVING');
    expect((await api.list({ pageSize: 0, pageToken: '' })).items).toEqual([]);
  });
});

describe('a table the store owns (DYNAMODB_CREATE_TABLE=true)', () => {
  it('starts NOT_SERVING while DynamoDB is not up yet, then makes its table and serves', async () => {
    const port = await freePort();
    const table = `items-${randomUUID()}`;
    const lines: LogLines = [];
    const { api, status } = await startStore(`http://127.0.0.1:${port}`, table, true, lines);
    expect(await status()).toBe('NOT_SERVING');
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'item table not ready', reason: 'DynamoDB cannot be reached' }),
    );
    await dynalite(port);
    await waitUntil(async () => (await status()) === 'SERVING');
    expect((await api.create({ ...anItem })).item?.version).toBe(1);
  });

  it('dynalite restarted in memory: UNAVAILABLE while down, then the table is re-created and calls succeed', async () => {
    const db = await dynalite();
    const table = `items-${randomUUID()}`;
    const { api, status } = await startStore(db.endpoint, table, true);
    await api.create({ ...anItem });

    await db.close();
    const down = await expectStatus(api.list({ pageSize: 0, pageToken: '' }), grpc.status.UNAVAILABLE);
    expect(down.metadata.get(UNAVAILABLE_REASON_KEY)).toEqual(['unavailable']);
    await waitUntil(async () => (await status()) === 'NOT_SERVING');

    await dynalite(db.port);
    await waitUntil(async () => {
      await api.create({ ...anItem });
      return (await status()) === 'SERVING';
    });
    // A fresh, empty table: the store made it again (the restarted dynalite had none).
    expect((await api.list({ pageSize: 0, pageToken: '' })).items.length).toBeGreaterThanOrEqual(1);
  });

  // The trace half (no check becomes a span of the call's trace): table-monitor-trace.test.ts.
  it("the checks a PR's failing call sets off run outside that call: none of them is logged under its canary key", async () => {
    const db = await dynalite();
    const lines: LogLines = [];
    const { api, status } = await startStore(db.endpoint, `items-${randomUUID()}`, true, lines);

    await db.close();
    const metadata = new grpc.Metadata();
    metadata.set('x-canary', '42');
    await expectStatus(api.list({ pageSize: 0, pageToken: '' }, { metadata }), grpc.status.UNAVAILABLE);
    await waitUntil(async () => (await status()) === 'NOT_SERVING');
    await dynalite(db.port);
    await waitUntil(async () => (await status()) === 'SERVING');

    const checks = lines.filter((line) => /^item table (not )?ready$/.test(String(line.msg)));
    // Down (unreachable, then maybe missing while it is re-created), then ready again.
    expect(checks[0]?.msg).toBe('item table not ready');
    expect(checks.at(-1)?.msg).toBe('item table ready');
    for (const line of checks) expect(line).not.toHaveProperty('canary');
  });

  it('a dropped table is re-created by the store itself', async () => {
    const db = await dynalite();
    const table = `items-${randomUUID()}`;
    const { api, status } = await startStore(db.endpoint, table, true);
    const created = await api.create({ ...anItem });
    await tableAdmin(db.endpoint).drop(table);
    await waitUntil(async () => {
      await api.get({ id: created.item?.id ?? '' }).catch((error: grpc.ServiceError) => {
        if (error.code !== grpc.status.NOT_FOUND) throw error;
      });
      return (await status()) === 'SERVING';
    });
    await expectStatus(api.get({ id: created.item?.id ?? '' }), grpc.status.NOT_FOUND);
  });
});
