import * as grpc from '@grpc/grpc-js';
import type { ExportItemsResponse__Output } from '@pr-canary/proto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { newItemId } from '../src/ids';
import { failingDynamoEndpoint } from './failing-endpoint';
import { buildStore, expectStatus, unreachableEndpoint } from './helper';

const widget = { name: 'Widget', description: 'A widget', priceCents: 1299 };

/** Sends `message` as a CreateItem request's bytes, as they are; resolves with the call's error, if any. */
function rawCreateItem(address: string, message: Buffer): Promise<grpc.ServiceError | null> {
  const raw = new grpc.Client(address, grpc.credentials.createInsecure());
  onTestFinished(() => raw.close());
  return new Promise((resolve) =>
    raw.makeUnaryRequest(
      '/store.v1.ItemsService/CreateItem',
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      message,
      (err) => resolve(err),
    ),
  );
}
describe('ItemsService over gRPC', () => {
  it('creates, reads, updates and deletes an item', async () => {
    const { api } = await buildStore();
    const { item: created } = await api.create(widget);
    expect(created).toMatchObject({ ...widget, version: 1 });
    expect(Date.parse(created?.createdAt ?? '')).not.toBeNaN();

    const id = created?.id ?? '';
    expect((await api.get({ id })).item).toEqual(created);

    const { item: updated } = await api.update({ id, expectedVersion: 1, ...widget, name: 'Gadget' });
    expect(updated).toMatchObject({ id, name: 'Gadget', version: 2, createdAt: created?.createdAt });

    await api.delete({ id, expectedVersion: 2 });
    const missing = await expectStatus(api.get({ id }), grpc.status.NOT_FOUND);
    expect(missing.details).toBe(`item ${id} not found`);
  });

  it('pages through 45 items, 10 at a time, without duplicates or gaps', async () => {
    const { api } = await buildStore();
    const createdIds: string[] = [];
    for (let i = 0; i < 45; i++) {
      createdIds.push((await api.create({ ...widget, name: `Item ${i}` })).item?.id ?? '');
    }
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let pageToken = '';
    do {
      const page = await api.list({ pageSize: 10, pageToken });
      pageSizes.push(page.items.length);
      seen.push(...page.items.map((item) => item.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(createdIds);
    expect(pageSizes).toEqual([10, 10, 10, 10, 5]);
  });

  it('uses a page size of 20 when the request says 0', async () => {
    const { api } = await buildStore();
    for (let i = 0; i < 21; i++) {
      await api.create(widget);
    }
    const page = await api.list({ pageSize: 0 });
    expect(page.items).toHaveLength(20);
    expect(page.nextPageToken).not.toBe('');
  });

  it('lets exactly one of several concurrent updates at the same version win', async () => {
    const { api } = await buildStore();
    const id = (await api.create(widget)).item?.id ?? '';
    const attempts = Array.from({ length: 6 }, (_, i) =>
      api.update({ id, expectedVersion: 1, ...widget, name: `Writer ${i}` }),
    );
    const results = await Promise.allSettled(attempts);
    const winners = results.filter((r) => r.status === 'fulfilled');
    const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as grpc.ServiceError] : []));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(5);
    for (const loser of losers) {
      expect(loser.code).toBe(grpc.status.ABORTED);
      expect(loser.details).toBe(`item ${id} is at version 2, not the expected version 1`);
    }
    const stored = (await api.get({ id })).item;
    expect(stored?.version).toBe(2);
    expect(stored?.name).toBe(winners[0]?.status === 'fulfilled' ? winners[0].value.item?.name : undefined);
  });

  it('answers NOT_FOUND for updates and deletes of an item that does not exist', async () => {
    const { api } = await buildStore();
    const id = newItemId();
    await expectStatus(api.update({ id, expectedVersion: 1, ...widget }), grpc.status.NOT_FOUND);
    await expectStatus(api.delete({ id }), grpc.status.NOT_FOUND);
  });

  it('answers ABORTED for a delete at a stale version and keeps the item', async () => {
    const { api } = await buildStore();
    const id = (await api.create(widget)).item?.id ?? '';
    await api.update({ id, expectedVersion: 1, ...widget });
    await expectStatus(api.delete({ id, expectedVersion: 1 }), grpc.status.ABORTED);
    expect((await api.get({ id })).item?.version).toBe(2);
  });

  it('stores the trimmed name', async () => {
    const { api } = await buildStore();
    expect((await api.create({ ...widget, name: '  Spaced  ' })).item?.name).toBe('Spaced');
  });

  describe('rejects invalid input with INVALID_ARGUMENT naming the field', () => {
    const longName = 'n'.repeat(201);
    const id = newItemId();
    const cases = [
      { method: 'create', request: { ...widget, name: '' }, field: 'name', says: 'a visible character' },
      { method: 'create', request: { ...widget, name: '   ' }, field: 'name', says: 'a visible character' },
      {
        method: 'create',
        request: { ...widget, name: '\u200b\u202e' },
        field: 'name',
        says: 'a visible character',
      },
      { method: 'create', request: { ...widget, name: 'tea\u0000' }, field: 'name', says: 'no control' },
      { method: 'create', request: { ...widget, name: longName }, field: 'name', says: 'at most 200' },
      // Counted as sent, as the api counts it: 200 characters and a space are too many.
      {
        method: 'create',
        request: { ...widget, name: ` ${'n'.repeat(200)}` },
        field: 'name',
        says: 'at most 200',
      },
      {
        method: 'create',
        request: { ...widget, description: 'd'.repeat(2001) },
        field: 'description',
        says: 'at most 2000',
      },
      {
        method: 'create',
        request: { ...widget, priceCents: -1 },
        field: 'price_cents',
        says: 'whole number',
      },
      {
        method: 'create',
        request: { ...widget, priceCents: '9007199254740993' },
        field: 'price_cents',
        says: 'whole number',
      },
      { method: 'get', request: { id: 'not-an-id' }, field: 'id', says: 'UUIDv7' },
      { method: 'get', request: { id: id.toUpperCase() }, field: 'id', says: 'UUIDv7' },
      { method: 'list', request: { pageSize: 101 }, field: 'page_size', says: '0 to 100' },
      { method: 'list', request: { pageSize: -1 }, field: 'page_size', says: '0 to 100' },
      {
        method: 'update',
        request: { id, expectedVersion: 0, ...widget },
        field: 'expected_version',
        says: 'from 1 to 9007199254740991',
      },
      {
        method: 'update',
        request: { id, expectedVersion: '9223372036854775807', ...widget },
        field: 'expected_version',
        says: 'from 1 to 9007199254740991',
      },
      { method: 'update', request: { id: '', expectedVersion: 1, ...widget }, field: 'id', says: 'UUIDv7' },
      {
        method: 'delete',
        request: { id, expectedVersion: -2 },
        field: 'expected_version',
        says: 'from 0 to 9007199254740991',
      },
    ] as const;

    it.each(cases)('$method: $field ($says)', async ({ method, request, field, says }) => {
      const { api } = await buildStore();
      const call = (api[method] as (r: object) => Promise<unknown>)(request);
      const error = await expectStatus(call, grpc.status.INVALID_ARGUMENT);
      expect(error.details).toMatch(new RegExp(`^invalid request: .*${field}: [^;]*${says}`));
    });

    it('lists every bad field at once and never echoes the input', async () => {
      const { api } = await buildStore();
      const error = await expectStatus(
        api.create({ name: '', description: '<script>'.repeat(300), priceCents: -5 }),
        grpc.status.INVALID_ARGUMENT,
      );
      expect(error.details).toContain('name:');
      expect(error.details).toContain('description:');
      expect(error.details).toContain('price_cents:');
      expect(error.details).not.toContain('<script>');
    });
  });

  // CreateItemRequest bytes: name (field 1, `0a` + length), price_cents (field 3, `18`), description (`12`).
  it.each([
    // name "abc", price_cents 5, then a description claiming 16 bytes with 1 present.
    ['a string field running past the end of the message', '0a036162631805121041'],
    // name "a", the bytes named, "b" (or not), then price_cents 1: text that is not UTF-8.
    ['an invalid byte in a string', '0a0361ff621801'],
    ['an overlong form in a string', '0a0461c0af621801'],
    ['an encoded surrogate in a string', '0a0561eda080621801'],
    ['a truncated sequence in a string', '0a0361e2821801'],
  ])('refuses a CreateItem it cannot decode (%s), and stores nothing', async (_case, messageHex) => {
    const { address, api } = await buildStore();
    const error = await rawCreateItem(address, Buffer.from(messageHex, 'hex'));
    expect(error?.code).toBe(grpc.status.INTERNAL);
    expect(error?.details).toMatch(/deserializing request/i);
    expect((await api.list({ pageSize: 10 })).items).toEqual([]);
  });

  it("refuses a JavaScript client's lone surrogate (it goes out encoded), and takes well-formed text of every UTF-8 length", async () => {
    const { api } = await buildStore();
    await expectStatus(
      api.create({ name: 'a\ud800b', description: '', priceCents: 1 }),
      grpc.status.INTERNAL,
    );
    expect((await api.list({ pageSize: 10 })).items).toEqual([]);
    const text = 'a é € 😀';
    const created = await api.create({ name: text, description: text, priceCents: 1 });
    expect(await api.get({ id: created.item?.id ?? '' })).toMatchObject({
      item: { name: text, description: text },
    });
  });

  it('rejects a malformed page token with INVALID_ARGUMENT', async () => {
    const { api } = await buildStore();
    const error = await expectStatus(
      api.list({ pageSize: 5, pageToken: 'garbage!' }),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(error.details).toMatch(/^invalid request: page_token: /);
  });

  it('answers UNAVAILABLE without internals when DynamoDB is unreachable', async () => {
    const { api, logs } = await buildStore({
      endpoint: await unreachableEndpoint(),
      maxAttempts: 1,
      createTable: false,
    });
    const error = await expectStatus(api.get({ id: newItemId() }), grpc.status.UNAVAILABLE);
    expect(error.details).toBe('the item table is unavailable; retry later');
    expect(logs.map((entry) => entry.message)).toContain('item table unavailable');
  });

  it.each([
    [400, 'ProvisionedThroughputExceededException'],
    [400, 'ThrottlingException'],
    [500, 'InternalServerError'],
    [503, 'ServiceUnavailable'],
  ])('answers UNAVAILABLE when DynamoDB says %i %s', async (httpStatus, errorType) => {
    const endpoint = await failingDynamoEndpoint(httpStatus, errorType, 'try later');
    const { api } = await buildStore({ endpoint, maxAttempts: 1, createTable: false });
    const error = await expectStatus(api.create(widget), grpc.status.UNAVAILABLE);
    expect(error.details).toBe('the item table is unavailable; retry later');
  });

  it('answers INTERNAL without internals for an unexpected DynamoDB error, and logs it', async () => {
    const endpoint = await failingDynamoEndpoint(400, 'ValidationException', 'secret table layout detail');
    const { api, logs } = await buildStore({ endpoint, maxAttempts: 1, createTable: false });
    const error = await expectStatus(api.get({ id: newItemId() }), grpc.status.INTERNAL);
    expect(error.details).toBe('internal error');
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'request failed',
        fields: expect.objectContaining({ method: 'GetItem' }),
      }),
    ]);
  });

  it('streams every item in id order from ExportItems', async () => {
    const { api, client } = await buildStore();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push((await api.create({ ...widget, name: `Item ${i}` })).item?.id ?? '');
    }
    const exported: string[] = [];
    for await (const message of client.exportItems({}) as AsyncIterable<ExportItemsResponse__Output>) {
      exported.push(message.item?.id ?? '');
    }
    expect(exported).toEqual(ids);
  });
});
