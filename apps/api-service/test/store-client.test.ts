/**
 * Store failures as the api sees them: a stopped store, a hung store, a store whose DynamoDB is down
 * or hung — each answered with a mapped status within the deadline, never a hang — and recovery
 * when a store comes back on the same port.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { freePort, type RunningDynalite, startDynalite } from '@pr-canary/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiConfig,
  createTable,
  expectApiError,
  type RunningApi,
  startApi,
  startStore,
  TEST_VERSION,
} from './helper';

let db: RunningDynalite;
let table: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await startDynalite();
  table = await createTable(db.endpoint);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await db?.close();
});

async function apiFor(storeAddr: string, env: Record<string, string> = {}): Promise<RunningApi> {
  const api = await startApi(apiConfig({ STORE_ADDR: storeAddr, ...env }));
  cleanups.push(() => api.close());
  return api;
}

/** A TCP server that accepts connections and never says a word (a wedged peer). */
async function startSilentServer(): Promise<{ addr: string; url: string }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { addr: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}` };
}

const SOME_ID = '01890a5d-ac96-774b-bcce-b302099a8057';
/** Upper bound for the api's channel to find a store that came back (its backoff caps at 5 s). */
const RECONNECT_WAIT_MS = 15_000;

describe('store stopped, then back on the same port', () => {
  it('answers 503 UNAVAILABLE (not a hang) while it is down, and 404/200 again once it is back', async () => {
    const store = await startStore({ endpoint: db.endpoint, table });
    const api = await apiFor(store.addr);
    expect((await api.app.inject({ method: 'GET', url: `/api/items/${SOME_ID}` })).statusCode).toBe(404);

    await store.close();
    const down = await api.app.inject({ method: 'GET', url: `/api/items/${SOME_ID}` });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({
      code: 'UNAVAILABLE',
      message: 'the store is unavailable; try again shortly',
    });
    expect((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    expect((await api.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const exportWhileDown = await api.app.inject({ method: 'GET', url: '/api/items/export' });
    expect(exportWhileDown.statusCode).toBe(503);
    expect(exportWhileDown.json().code).toBe('UNAVAILABLE');

    const revived = await startStore({ endpoint: db.endpoint, table, port: store.port });
    cleanups.push(() => revived.close());
    // The channel reconnects on its own backoff schedule: wait for that, however long it takes here.
    await expect
      .poll(async () => (await api.app.inject({ method: 'GET', url: `/api/items/${SOME_ID}` })).statusCode, {
        timeout: RECONNECT_WAIT_MS,
        interval: 100,
      })
      .toBe(404);
    expect((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('answers /api/route with the mapped error and the api hop only', async () => {
    const api = await apiFor(`127.0.0.1:${await freePort()}`);
    const response = await api.app.inject({
      method: 'GET',
      url: '/api/route',
      headers: { 'x-canary': '42' },
    });
    expectApiError(response, 503, {
      code: 'UNAVAILABLE',
      message: 'the store is unavailable; try again shortly',
      hops: [{ service: 'api-service', track: 'stable', version: TEST_VERSION }],
    });
    expect(response.headers['x-canary']).toBe('42');
    expect(response.headers['x-served-by']).toBe(`api-service;track="stable";version="${TEST_VERSION}"`);
  });
});

describe('deadlines', () => {
  it('a store that accepts the connection but never answers → 504 DEADLINE_EXCEEDED', async () => {
    const silent = await startSilentServer();
    const api = await apiFor(silent.addr, { STORE_DEADLINE_MS: '300', READINESS_DEADLINE_MS: '200' });
    const response = await api.app.inject({ method: 'GET', url: `/api/items/${SOME_ID}` });
    expect(response.statusCode).toBe(504);
    expect(response.json()).toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      message: 'the store did not answer in time',
    });
    expect((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
  });

  it('the real store waiting on a hung DynamoDB → 504 within the api deadline', async () => {
    const hungDynamo = await startSilentServer();
    const store = await startStore({ endpoint: hungDynamo.url, table });
    cleanups.push(() => store.close());
    const api = await apiFor(store.addr, { STORE_DEADLINE_MS: '300' });
    const response = await api.app.inject({ method: 'GET', url: `/api/items/${SOME_ID}` });
    expect(response.statusCode).toBe(504);
    expect(response.json().code).toBe('DEADLINE_EXCEEDED');
  });

  it('the real store with DynamoDB down → 503 UNAVAILABLE', async () => {
    const store = await startStore({ endpoint: `http://127.0.0.1:${await freePort()}`, table });
    cleanups.push(() => store.close());
    const api = await apiFor(store.addr);
    const response = await api.app.inject({ method: 'GET', url: `/api/items/${SOME_ID}` });
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe('UNAVAILABLE');
  });
});

describe('readiness', () => {
  it('is ready while the store serves, and answers 503 once marked not ready (shutdown)', async () => {
    const store = await startStore({ endpoint: db.endpoint, table });
    cleanups.push(() => store.close());
    const api = await apiFor(store.addr);
    expect((await api.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    api.app.markNotReady();
    const response = await api.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'NOT_READY', message: 'shutting down' });
    expect((await api.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('logs a readiness change once, as one line without a stack, and probe requests at debug', async () => {
    const store = await startStore({ endpoint: db.endpoint, table });
    // A deadline no loaded machine runs into: every change below must be the store's doing.
    const api = await apiFor(store.addr, { READINESS_DEADLINE_MS: '10000' });
    const readyz = async () => (await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode;
    const logs = () => api.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

    expect(await readyz()).toBe(200);
    await store.close();
    expect([await readyz(), await readyz(), await readyz()]).toEqual([503, 503, 503]);
    const revived = await startStore({ endpoint: db.endpoint, table, port: store.port });
    cleanups.push(() => revived.close());
    await expect.poll(readyz, { timeout: RECONNECT_WAIT_MS, interval: 100 }).toBe(200);
    expect(await readyz()).toBe(200);

    const changes = logs().filter((line) => line.msg === 'ready' || line.msg === 'not ready');
    expect(changes.map(({ level, msg, reason }) => ({ level, msg, reason }))).toEqual([
      { level: 30, msg: 'ready', reason: undefined },
      { level: 40, msg: 'not ready', reason: 'the store cannot be reached (UNAVAILABLE)' },
      { level: 30, msg: 'ready', reason: undefined },
    ]);
    const atWarnOrAbove = logs().filter((line) => Number(line.level) >= 40);
    expect(atWarnOrAbove.filter((line) => 'err' in line)).toEqual([]);
    const probeLines = logs().filter((line) => line.msg === 'request completed' && line.route === '/readyz');
    expect(probeLines.length).toBeGreaterThanOrEqual(6);
    expect(new Set(probeLines.map((line) => line.level))).toEqual(new Set([20]));
  });
});
