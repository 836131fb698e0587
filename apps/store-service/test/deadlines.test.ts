import * as grpc from '@grpc/grpc-js';
import type { ExportItemsResponse__Output } from '@pr-canary/proto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { newItemId } from '../src/ids';
import type { Item, ItemsRepository } from '../src/items-repository';
import { buildRepository, buildStore, dynaliteEndpoint, expectStatus } from './helper';
import { startSlowProxy } from './slow-proxy';

const HOLD_MS = 1500;
const DEADLINE_MS = 500;
const widget = { name: 'Widget', description: 'A widget', priceCents: 1299 };

describe('deadlines and cancellation', () => {
  it('answers DEADLINE_EXCEEDED and aborts the DynamoDB write before it reaches the table', async () => {
    const direct = await buildRepository();
    const proxy = await startSlowProxy(await dynaliteEndpoint(), HOLD_MS);
    onTestFinished(() => proxy.close());
    const creates: Promise<unknown>[] = [];
    const { api } = await buildStore({
      endpoint: proxy.endpoint,
      table: direct.table,
      maxAttempts: 1,
      wrapRepo: (repo) => ({
        ...repo,
        create: (fields, options) => {
          const created = repo.create(fields, options);
          creates.push(created.catch(() => undefined));
          return created;
        },
      }),
    });

    // Warm up the gRPC channel, the SDK's credentials and its connection, so that the create
    // below is on the wire (held by the proxy) when its deadline passes.
    await expectStatus(api.get({ id: newItemId() }), grpc.status.NOT_FOUND);
    const forwardedBefore = proxy.stats.forwarded;

    await expectStatus(
      api.create(widget, { deadline: Date.now() + DEADLINE_MS }),
      grpc.status.DEADLINE_EXCEEDED,
    );
    // Without the abort, the write would reach dynalite once the proxy's hold is over.
    await Promise.all(creates);
    await proxy.settled();

    expect(creates).toHaveLength(1);
    expect(proxy.stats.forwarded).toBe(forwardedBefore);
    expect(proxy.stats.dropped).toBeGreaterThan(0);
    expect((await direct.repo.list({ pageSize: 10, pageToken: '' })).items).toEqual([]);
  });

  it('applies backpressure to ExportItems and stops reading the table when the client cancels', async () => {
    const progress = { pulled: 0, finished: false };
    const { api, client } = await buildStore({ wrapRepo: (repo) => endlessExport(repo, progress) });
    await api.create({ ...widget, description: 'x'.repeat(1000) });

    const call = client.exportItems({});
    const first = await new Promise<ExportItemsResponse__Output>((resolve) => call.once('data', resolve));
    call.pause();
    expect(first.item?.name).toBe('Widget');

    const pulledWhilePaused = await waitUntilStable(() => progress.pulled);
    expect(pulledWhilePaused).toBeLessThan(MAX_EXPORT);

    const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    call.cancel();
    expect((await ended).code).toBe(grpc.status.CANCELLED);
    await waitUntil(() => progress.finished);
    // Writes already buffered may drain as the stream closes, so a few more items can be read;
    // a handler that ignored the cancel would read on to MAX_EXPORT.
    expect(progress.pulled).toBeLessThan(pulledWhilePaused + CANCEL_SLACK);
  });
});

const MAX_EXPORT = 100_000;
const CANCEL_SLACK = 1_000;

/** The real repository, except that export repeats the table's items up to MAX_EXPORT times. */
function endlessExport(
  repo: ItemsRepository,
  progress: { pulled: number; finished: boolean },
): ItemsRepository {
  return {
    ...repo,
    async *export(options) {
      try {
        const items: Item[] = [];
        for await (const item of repo.export(options)) items.push(item);
        while (progress.pulled < MAX_EXPORT) {
          for (const item of items) {
            progress.pulled += 1;
            yield item;
          }
        }
      } finally {
        progress.finished = true;
      }
    },
  };
}

/** Polls `read` every 50 ms until two reads in a row agree; returns that value. */
async function waitUntilStable(read: () => number): Promise<number> {
  let previous = -1;
  for (let value = read(); value !== previous; value = read()) {
    previous = value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return previous;
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
