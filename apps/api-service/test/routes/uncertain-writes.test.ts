/**
 * A write the store commits but answers too late: the api gives up at its deadline with 504, and the
 * 504 must say the write may have happened and how to find out. The store here is the real one
 * (the store's buildApp over dynalite); only its reply is held back, until the test has seen the 504.
 */
import type * as grpc from '@grpc/grpc-js';
import { createServiceMetrics, type InstanceIdentity } from '@pr-canary/canary-context';
import { createLogger } from '@pr-canary/service-kit';
import { listenGrpc as listenStore } from '@pr-canary/service-kit/grpc';
import {
  buildApp as buildStoreApp,
  createDocumentClient,
  createItemsRepository,
  type ItemsRepository,
} from '@pr-canary/store-service';
import { type RunningDynalite, startDynalite } from '@pr-canary/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiConfig, createTable, type RunningApi, startApi, TEST_VERSION } from '../helper';

const identity: InstanceIdentity = { service: 'store-service', track: 'stable', version: TEST_VERSION };

let db: RunningDynalite;
let server: grpc.Server;
let repo: ItemsRepository;
let api: RunningApi;
const client = { destroy: () => {} };
/** Released by each test once it has its 504: the store's held-back replies go out then. */
let release: () => void = () => {};
let held = Promise.resolve();
let holding = false;

beforeAll(async () => {
  db = await startDynalite();
  const table = await createTable(db.endpoint);
  const docClient = createDocumentClient({ region: 'us-east-1', endpoint: db.endpoint });
  client.destroy = () => docClient.destroy();
  repo = createItemsRepository({ client: docClient, table });
  /** The real repository; while `holding`, a completed write's answer waits for `release`. */
  const late =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await write(...args);
      if (holding) await held;
      return result;
    };
  const slowRepo: ItemsRepository = {
    ...repo,
    create: late(repo.create),
    update: late(repo.update),
    delete: late(repo.delete),
  };
  server = buildStoreApp({
    repo: slowRepo,
    logger: createLogger({ identity, level: 'silent' }),
    identity,
    metrics: createServiceMetrics({ identity }),
  });
  const port = await listenStore(server, '127.0.0.1', 0);
  api = await startApi(apiConfig({ STORE_ADDR: `127.0.0.1:${port}`, STORE_DEADLINE_MS: '500' }));
});

afterAll(async () => {
  release();
  await api?.close();
  server?.forceShutdown();
  client.destroy();
  await db?.close();
});

function holdReplies() {
  holding = true;
  held = new Promise((resolve) => {
    release = () => {
      holding = false;
      resolve();
    };
  });
}

describe('a write answered 504 may still have been applied', () => {
  it('PUT: 504 says so and how to check; a GET then shows the new version', async () => {
    const item = await repo.create({ name: 'before', description: '', priceCents: 1 });
    holdReplies();
    const response = await api.app.inject({
      method: 'PUT',
      url: `/api/items/${item.id}`,
      headers: { 'if-match': '"1"' },
      payload: { name: 'after', priceCents: 2 },
    });
    release();
    expect(response.statusCode).toBe(504);
    expect(response.json()).toMatchObject({ code: 'DEADLINE_EXCEEDED', error: 'Gateway Timeout' });
    expect(response.json().message).toMatch(/may still have been applied.*GET the item.*ETag/);
    // Logged as a failure, with the store call that timed out: the writes an operator most needs to see.
    const failures = api.logLines
      .map((line) => JSON.parse(line) as { msg?: string; level?: number; err?: { message?: string } })
      .filter((line) => line.msg === 'request failed');
    expect(failures).toContainEqual(
      expect.objectContaining({
        err: expect.objectContaining({ message: expect.stringMatching(/DEADLINE_EXCEEDED/) }),
      }),
    );
    const after = await api.app.inject({ method: 'GET', url: `/api/items/${item.id}` });
    expect(after.headers.etag).toBe('"2"');
    expect(after.json()).toMatchObject({ name: 'after', version: 2 });
  });

  it('POST: 504 says the item may exist; DELETE: 504 says it may be gone', async () => {
    holdReplies();
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/items',
      payload: { name: 'maybe', priceCents: 1 },
    });
    release();
    expect(created.statusCode).toBe(504);
    expect(created.json().message).toMatch(/may still have been created/);
    const listed = await api.app.inject({ method: 'GET', url: '/api/items?limit=100' });
    const item = (listed.json().items as { id: string; name: string }[]).find((it) => it.name === 'maybe');
    expect(item).toBeDefined();

    holdReplies();
    const deleted = await api.app.inject({ method: 'DELETE', url: `/api/items/${item?.id}` });
    release();
    expect(deleted.statusCode).toBe(504);
    expect(deleted.json().message).toMatch(/may still have been deleted.*404/);
    expect((await api.app.inject({ method: 'GET', url: `/api/items/${item?.id}` })).statusCode).toBe(404);
  });
});
