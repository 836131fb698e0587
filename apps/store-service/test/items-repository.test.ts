import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  InvalidPageTokenError,
  ItemAlreadyExistsError,
  ItemNotFoundError,
  StoreUnavailableError,
  VersionConflictError,
} from '../src/errors';
import { newItemId } from '../src/ids';
import { ensureTable, MalformedItemError } from '../src/items-repository';
import { buildRepository, unreachableEndpoint } from './helper';

const widget = { name: 'Widget', description: 'A widget', priceCents: 1299 };

describe('items repository over dynalite', () => {
  it('creates an item at version 1 and reads it back', async () => {
    const { repo } = await buildRepository();
    const created = await repo.create(widget);
    expect(created).toMatchObject({ ...widget, version: 1 });
    expect(created.createdAt).toBe(created.updatedAt);
    expect(await repo.get(created.id)).toEqual(created);
  });

  it('refuses to hand out a stored record that is not a well-formed item', async () => {
    const { repo, docClient, table } = await buildRepository();
    const good = {
      pk: 'ITEM',
      name: 'n',
      description: '',
      priceCents: 1,
      version: 1,
      createdAt: 'a',
      updatedAt: 'b',
    };
    const broken = [
      { priceCents: -1 },
      { priceCents: 1.5 },
      { version: 0 },
      { version: '1' },
      { name: 7 },
      { createdAt: 5 },
    ];
    for (const change of broken) {
      const id = newItemId();
      await docClient.send(new PutCommand({ TableName: table, Item: { ...good, sk: id, ...change } }));
      await expect(repo.get(id), JSON.stringify(change)).rejects.toEqual(
        new MalformedItemError(Object.keys(change)),
      );
    }
    const id = newItemId();
    await docClient.send(new PutCommand({ TableName: table, Item: { ...good, sk: id } }));
    expect(await repo.get(id)).toMatchObject({ id, name: 'n', priceCents: 1, version: 1 });
  });

  it('never overwrites an existing item on create, even when the id collides', async () => {
    const id = newItemId();
    const { repo } = await buildRepository({ newId: () => id });
    const first = await repo.create(widget);
    await expect(repo.create({ ...widget, name: 'Impostor' })).rejects.toBeInstanceOf(ItemAlreadyExistsError);
    expect(await repo.get(id)).toEqual(first);
  });

  it('updates at the expected version and bumps the version', async () => {
    const { repo } = await buildRepository();
    const created = await repo.create(widget);
    const updated = await repo.update(created.id, 1, { ...widget, priceCents: 999 });
    expect(updated).toMatchObject({
      id: created.id,
      priceCents: 999,
      version: 2,
      createdAt: created.createdAt,
    });
    expect(await repo.get(created.id)).toEqual(updated);
  });

  it('answers an update naming the largest version a client may send as a stale or missing item', async () => {
    const { repo } = await buildRepository();
    const created = await repo.create(widget);
    await expect(repo.update(created.id, Number.MAX_SAFE_INTEGER, widget)).rejects.toMatchObject({
      name: 'VersionConflictError',
      currentVersion: 1,
    });
    await expect(repo.update(newItemId(), Number.MAX_SAFE_INTEGER, widget)).rejects.toBeInstanceOf(
      ItemNotFoundError,
    );
  });

  it('tells a stale version apart from a missing item', async () => {
    const { repo } = await buildRepository();
    const created = await repo.create(widget);
    await repo.update(created.id, 1, widget);
    const stale = await repo
      .update(created.id, 1, { ...widget, name: 'Lost update' })
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect(stale).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
    expect((await repo.get(created.id)).name).toBe('Widget');
    await expect(repo.update(newItemId(), 1, widget)).rejects.toBeInstanceOf(ItemNotFoundError);
  });

  it('deletes only at the expected version, or at any version when it is 0', async () => {
    const { repo } = await buildRepository();
    const a = await repo.create(widget);
    const b = await repo.create(widget);
    await expect(repo.delete(a.id, 7)).rejects.toBeInstanceOf(VersionConflictError);
    await repo.delete(a.id, 1);
    await repo.delete(b.id, 0);
    await expect(repo.get(a.id)).rejects.toBeInstanceOf(ItemNotFoundError);
    await expect(repo.delete(b.id, 0)).rejects.toBeInstanceOf(ItemNotFoundError);
  });

  it('lists in creation order and exports every item across several pages', async () => {
    const { repo } = await buildRepository();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push((await repo.create({ ...widget, name: `Item ${i}` })).id);
    }
    const first = await repo.list({ pageSize: 5, pageToken: '' });
    expect(first.items.map((item) => item.id)).toEqual(ids.slice(0, 5));
    const exported: string[] = [];
    for await (const item of repo.export({ pageSize: 5 })) {
      exported.push(item.id);
    }
    expect(exported).toEqual(ids);
  });

  it('pages to the end: the last page says there is no next one, even when it is exactly full', async () => {
    const { repo } = await buildRepository();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await repo.create({ ...widget, name: `Item ${i}` })).id);
    const listed: string[] = [];
    const tokens: string[] = [];
    let pageToken = '';
    do {
      const page = await repo.list({ pageSize: 5, pageToken });
      listed.push(...page.items.map((item) => item.id));
      pageToken = page.nextPageToken;
      tokens.push(pageToken);
    } while (pageToken);
    expect(listed).toEqual(ids);
    expect(tokens).toHaveLength(2);
    expect((await repo.list({ pageSize: 10, pageToken: '' })).nextPageToken).toBe('');
    expect((await repo.list({ pageSize: 11, pageToken: '' })).nextPageToken).toBe('');
  });

  it("refuses another table's page token instead of skipping its items", async () => {
    const prTable = await buildRepository();
    const stable = await buildRepository();
    for (const built of [prTable, stable])
      for (let i = 0; i < 3; i++) await built.repo.create({ ...widget, name: `Item ${i}` });
    const { nextPageToken } = await prTable.repo.list({ pageSize: 1, pageToken: '' });
    expect(nextPageToken).not.toBe('');
    await expect(stable.repo.list({ pageSize: 5, pageToken: nextPageToken })).rejects.toBeInstanceOf(
      InvalidPageTokenError,
    );
  });

  it('rejects page tokens it did not make', async () => {
    const { repo } = await buildRepository();
    const forged = Buffer.from(JSON.stringify({ pk: 'OTHER', sk: newItemId() })).toString('base64url');
    for (const pageToken of [
      'not base64!',
      forged,
      Buffer.from('{').toString('base64url'),
      'x'.repeat(600),
    ]) {
      await expect(repo.list({ pageSize: 5, pageToken })).rejects.toBeInstanceOf(InvalidPageTokenError);
    }
  });

  it('reports an unreachable DynamoDB as unavailable', async () => {
    const { repo } = await buildRepository({
      endpoint: await unreachableEndpoint(),
      maxAttempts: 1,
      createTable: false,
    });
    await expect(repo.get(newItemId())).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('ensureTable is idempotent', async () => {
    const { repo, docClient, table } = await buildRepository();
    const created = await repo.create(widget);
    await ensureTable({ client: docClient, table });
    expect(await repo.get(created.id)).toEqual(created);
  });
});
