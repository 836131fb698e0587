import { randomUUID } from 'node:crypto';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createDocumentClient } from '../src/dynamodb-client';
import { StoreUnavailableError } from '../src/errors';
import { newItemId } from '../src/ids';
import { createItemsRepository, ensureTable } from '../src/items-repository';
import { buildStore, dynaliteEndpoint } from './helper';
import { startHoldingProxy } from './holding-proxy';
import { takeOffLoopbackConnections } from './loopback-only';

/** Every place the SDK's default chain looks for credentials, emptied. */
function withoutAnyAwsCredentials() {
  const nowhere = `/nonexistent/${randomUUID()}`;
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_EC2_METADATA_DISABLED',
  ]) {
    vi.stubEnv(name, undefined);
  }
  vi.stubEnv('AWS_CONFIG_FILE', nowhere);
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', nowhere);
}

describe('DynamoDB client timeouts', () => {
  it('fails a request DynamoDB never answers after the request timeout, as unavailable', async () => {
    const proxy = await startHoldingProxy(await dynaliteEndpoint());
    onTestFinished(() => proxy.close());
    const client = createDocumentClient({
      region: 'us-east-1',
      endpoint: proxy.endpoint,
      maxAttempts: 1,
      requestTimeoutMs: 300,
    });
    onTestFinished(() => client.destroy());
    const table = `items-${randomUUID()}`;
    await ensureTable({ client, table });
    const repo = createItemsRepository({ client, table });
    proxy.hold();
    const failure = await repo.get(newItemId()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    // The SDK's own request timeout, not the connection dropped later by the idle upstream.
    expect((failure as StoreUnavailableError).cause).toMatchObject({
      name: 'TimeoutError',
      message: expect.stringContaining('300 ms requestTimeout'),
    });
    expect(proxy.stats.held).toBeGreaterThan(0);
  });
});

describe('DynamoDB client against a loopback endpoint', () => {
  it('serves items from dynalite with no AWS credentials configured, never dialling off loopback', async () => {
    withoutAnyAwsCredentials();
    const store = await buildStore();
    const { item } = await store.api.create({ name: 'tea', description: '', priceCents: 450 });
    const read = await store.api.get({ id: item?.id });
    expect(read.item?.name).toBe('tea');
    expect(takeOffLoopbackConnections()).toEqual([]);
  });

  it('signs with static local credentials instead of resolving the default chain', async () => {
    withoutAnyAwsCredentials();
    const client = createDocumentClient({ region: 'us-east-1', endpoint: await dynaliteEndpoint() });
    try {
      const credentials = await client.config.credentials();
      expect(credentials.accessKeyId).toBe('local');
    } finally {
      client.destroy();
    }
  });
});
