/**
 * The item table going away, seen through the api: the real store (startService, with its
 * table monitor) over a real dynalite. Data calls answer 503 with a message that says why, /readyz
 * answers 503, and once the table or the database is back, calls succeed again. The store's
 * while-ready check is pushed out past every wait here, so recovery is the store's own doing
 * (a failing call, then its while-not-ready checks): no assertion reads a clock.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createLogger, type RunningService } from '@pr-canary/service-kit';
import {
  createDocumentClient,
  ensureTable,
  startService as startStoreService,
  loadConfig as storeConfig,
} from '@pr-canary/store-service';
import { closedAfter, startDynalite, storeServiceEnv, waitUntil } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { apiConfig, expectApiError, type RunningApi, startApi, TEST_VERSION } from './helper';

/** Longer than any waitUntil: the store's while-ready tick never fires during a test. */
const NO_READY_TICK = { whileReadyMs: 3_600_000 };
/** A dynalite closed after the test (a test may close it earlier, to take it down). */
const dynalite = (port?: number) => closedAfter(onTestFinished, startDynalite({ port }));

async function stack(endpoint: string, table: string, ownsTable: boolean): Promise<RunningApi> {
  const store: RunningService = await startStoreService(
    storeConfig({
      ...storeServiceEnv({ endpoint, table, createTable: ownsTable }),
      SERVICE_VERSION: TEST_VERSION,
    }),
    {
      logger: createLogger({
        identity: { service: 'store-service', track: 'stable', version: TEST_VERSION },
        level: 'silent',
      }),
      tableChecks: NO_READY_TICK,
    },
  );
  const api = await startApi(
    apiConfig({ STORE_ADDR: `127.0.0.1:${store.port}`, READINESS_DEADLINE_MS: '1000' }),
  );
  onTestFinished(async () => {
    await api.close();
    await store.close();
  });
  return api;
}

const status = async (api: RunningApi, url: string) =>
  (await api.app.inject({ method: 'GET', url })).statusCode;

describe('the item table goes away and comes back', () => {
  it('dropped table: 503 naming the missing table, /readyz 503, then 200 once it is re-created', async () => {
    const db = await dynalite();
    const table = `items-${randomUUID()}`;
    const admin = createDocumentClient({ region: 'us-east-1', endpoint: db.endpoint });
    onTestFinished(() => admin.destroy());
    const createTable = () => ensureTable({ client: admin, table });
    await createTable();
    const api = await stack(db.endpoint, table, false);
    expect(await status(api, '/readyz')).toBe(200);

    await admin.send(new DeleteTableCommand({ TableName: table }));
    const response = await api.app.inject({ method: 'GET', url: '/api/items' });
    expectApiError(response, 503, {
      code: 'UNAVAILABLE',
      message: 'the store is unavailable: its item table does not exist; try again shortly',
    });
    expect(response.headers['x-served-by']).toMatch(/, store-service;track="stable"/);
    await waitUntil(async () => (await status(api, '/readyz')) === 503);

    await createTable();
    await waitUntil(
      async () => (await status(api, '/api/items')) === 200 && (await status(api, '/readyz')) === 200,
    );
  });

  it('dynalite restarted in memory: 503 while down, then the store re-creates its table and POST works', async () => {
    const db = await dynalite();
    const api = await stack(db.endpoint, `items-${randomUUID()}`, true);
    const post = () =>
      api.app.inject({ method: 'POST', url: '/api/items', payload: { name: 'tea', priceCents: 450 } });
    expect((await post()).statusCode).toBe(201);

    await db.close();
    const down = await post();
    expect(down.statusCode).toBe(503);
    expect(down.json().message).toBe(
      'the store is unavailable: its database cannot be reached; try again shortly',
    );
    await waitUntil(async () => (await status(api, '/readyz')) === 503);

    await dynalite(db.port);
    await waitUntil(async () => (await post()).statusCode === 201);
    expect(await status(api, '/readyz')).toBe(200);
  });
});
