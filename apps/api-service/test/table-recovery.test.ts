/**
 * The item table going away, seen through the api: the real store (startService, with its
 * table monitor) over a real dynalite. Data calls answer 503 with a message that says why, /readyz
 * answers 503, and within 2 s of the table or the database coming back, calls succeed again.
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

const RECOVERY_BUDGET_MS = 2_000;
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
  it('dropped table: 503 naming the missing table, /readyz 503, then 200 within 2 s of it being re-created', async () => {
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
    await waitUntil(async () => (await status(api, '/readyz')) === 503, 1_000);

    await createTable();
    const took = await waitUntil(
      async () => (await status(api, '/api/items')) === 200 && (await status(api, '/readyz')) === 200,
    );
    expect(took).toBeLessThan(RECOVERY_BUDGET_MS);
  });

  it('dynalite restarted in memory: 503 while down, then the store re-creates its table and POST works within 2 s', async () => {
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
    await waitUntil(async () => (await status(api, '/readyz')) === 503, 2_000);

    await dynalite(db.port);
    const took = await waitUntil(async () => (await post()).statusCode === 201);
    expect(took).toBeLessThan(RECOVERY_BUDGET_MS);
    expect(await status(api, '/readyz')).toBe(200);
  });
});
