import * as grpc from '@grpc/grpc-js';
import { type CanaryKey, currentCanaryKey } from '@pr-canary/canary-context';
import type { HealthCheckResponse__Output } from '@pr-canary/proto';
import { startMetricsServer } from '@pr-canary/service-kit';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ItemsRepository } from '../src/items-repository';
import { buildStore, unary } from './helper';

const widget = { name: 'Widget', description: '', priceCents: 0 };
const SERVED_BY = 'store-service;track="stable";version="0.0.0-test"';

function withKey(value: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('x-canary', value);
  return metadata;
}

/** The real repository, recording the canary key each `get` runs under. */
function recordKeys(keys: CanaryKey[]) {
  return (repo: ItemsRepository): ItemsRepository => ({
    ...repo,
    get: (id, options) => {
      keys.push(currentCanaryKey());
      return repo.get(id, options);
    },
  });
}

/** Response initial metadata (absent for a trailers-only error) and trailers of one unary call. */
function metadataOf(start: (md: grpc.Metadata, cb: grpc.requestCallback<unknown>) => grpc.ClientUnaryCall) {
  return new Promise<{ headers?: grpc.Metadata; trailers: grpc.Metadata }>((resolve) => {
    let headers: grpc.Metadata | undefined;
    const call = start(new grpc.Metadata(), () => {});
    call.on('metadata', (metadata) => {
      headers = metadata;
    });
    call.on('status', (status) => resolve({ headers, trailers: status.metadata }));
  });
}

describe('canary context in the store', () => {
  it('runs handlers under the x-canary key of the call', async () => {
    const keys: CanaryKey[] = [];
    const { api } = await buildStore({ wrapRepo: recordKeys(keys) });
    const id = (await api.create(widget)).item?.id ?? '';
    await api.get({ id }, { metadata: withKey('42') });
    await api.get({ id });
    await api.get({ id }, { metadata: withKey('4 2') });
    expect(keys).toEqual([
      { kind: 'valid', pr: '42' },
      { kind: 'absent' },
      expect.objectContaining({ kind: 'invalid', reason: 'whitespace' }),
    ]);
  });

  it('ignores x-canary when the key is not trusted', async () => {
    const keys: CanaryKey[] = [];
    const { api } = await buildStore({ wrapRepo: recordKeys(keys), trustCanaryKey: false });
    const id = (await api.create(widget)).item?.id ?? '';
    await api.get({ id }, { metadata: withKey('42') });
    expect(keys).toEqual([{ kind: 'absent' }]);
  });

  it('sends x-served-by on items calls, errors and health checks', async () => {
    const { client, healthClient } = await buildStore();
    const onCreate = await metadataOf((md, cb) => client.createItem(widget, md, cb));
    const onHealth = await metadataOf((md, cb) => healthClient.check({ service: '' }, md, {}, cb));
    const onError = await metadataOf((md, cb) => client.getItem({ id: 'bad' }, md, cb));
    for (const { headers, trailers } of [onCreate, onHealth]) {
      expect(headers?.get('x-served-by')).toEqual([SERVED_BY]);
      expect(trailers.get('x-served-by')).toEqual([SERVED_BY]);
    }
    expect(onError.trailers.get('x-served-by')).toEqual([SERVED_BY]);
  });

  it('records the RPC series on the metrics server', async () => {
    const { api, healthClient, metrics } = await buildStore();
    const server = await startMetricsServer({ metrics, port: 0, host: '127.0.0.1' });
    onTestFinished(() => server.close());
    await api.create(widget, { metadata: withKey('7') });
    await api.list({ pageSize: 101 }).catch(() => {});
    await unary<HealthCheckResponse__Output>((md, o, cb) => healthClient.check({ service: '' }, md, o, cb));

    const body = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(body).toContain(
      'pr_canary_grpc_server_handled_total{grpc_service="store.v1.ItemsService",grpc_method="CreateItem",grpc_code="OK",track="stable",canary="present"} 1',
    );
    expect(body).toContain(
      'pr_canary_grpc_server_handled_total{grpc_service="store.v1.ItemsService",grpc_method="ListItems",grpc_code="INVALID_ARGUMENT",track="stable",canary="absent"} 1',
    );
    expect(body).toContain('grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="OK"');
    expect(body).toContain('pr_canary_grpc_server_handling_seconds_bucket');
  });
});
