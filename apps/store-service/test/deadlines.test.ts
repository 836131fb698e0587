import * as grpc from '@grpc/grpc-js';
import type { ExportItemsResponse__Output } from '@pr-canary/proto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { newItemId } from '../src/ids';
import type { Item, ItemsRepository } from '../src/items-repository';
import { buildRepository, buildStore, dynaliteEndpoint, expectStatus } from './helper';
import { startHoldingProxy } from './holding-proxy';

/** Long enough for the create to reach the proxy on a loaded machine; the proxy holds it anyway. */
const DEADLINE_MS = 1000;
const widget = { name: 'Widget', description: 'A widget', priceCents: 1299 };

describe('deadlines and cancellation', () => {
  it('answers DEADLINE_EXCEEDED and aborts the DynamoDB write before it reaches the table', async () => {
    const direct = await buildRepository();
    const proxy = await startHoldingProxy(await dynaliteEndpoint());
    onTestFinished(() => proxy.close());
    /** How each repository create ended: the error's name, or 'created'. */
    const creates: Promise<string>[] = [];
    const { api } = await buildStore({
      endpoint: proxy.endpoint,
      table: direct.table,
      maxAttempts: 1,
      wrapRepo: (repo) => ({
        ...repo,
        create: (fields, options) => {
          const created = repo.create(fields, options);
          creates.push(
            created.then(
              () => 'created',
              (error: Error) => error.name,
            ),
          );
          return created;
        },
      }),
    });

    // Warm up the gRPC channel, the SDK's credentials and its connection, so that the create
    // below is on the wire (held by the proxy) when its deadline passes.
    await expectStatus(api.get({ id: newItemId() }), grpc.status.NOT_FOUND);
    proxy.hold();
    const forwardedBefore = proxy.stats.forwarded;

    await expectStatus(
      api.create(widget, { deadline: Date.now() + DEADLINE_MS }),
      grpc.status.DEADLINE_EXCEEDED,
    );
    // The write ended because the gRPC deadline aborted it (not by the SDK's own request timeout),
    // and the abort closed the SDK's connection, which dropped the held write. Without the abort the
    // write would stay held, waiting for an answer, and the release below would hand it to dynalite.
    expect(await Promise.all(creates)).toEqual(['AbortError']);
    await expect.poll(() => proxy.stats.held, { timeout: 10_000 }).toBe(0);
    proxy.release();

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

  it('leaves the signal of a call that completed alone (grpc-js reports every call cancelled once answered)', async () => {
    const signals: AbortSignal[] = [];
    const { api, client } = await buildStore({
      wrapRepo: (repo) => ({
        ...repo,
        get: (id, options) => {
          if (options?.signal) signals.push(options.signal);
          return repo.get(id, options);
        },
        export: (options) => {
          if (options?.signal) signals.push(options.signal);
          return repo.export(options);
        },
      }),
    });
    const { item } = await api.create(widget);
    expect((await api.get({ id: item?.id })).item?.name).toBe('Widget');
    await expectStatus(api.get({ id: newItemId() }), grpc.status.NOT_FOUND);
    const exported = client.exportItems({});
    exported.resume();
    await new Promise((resolve) => exported.on('status', resolve));
    // Each answer reaches this client after grpc-js (same process) told the server call it was over.
    expect(signals).toHaveLength(3);
    expect(signals.map((signal) => signal.aborted)).toEqual([false, false, false]);
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
