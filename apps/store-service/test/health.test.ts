import * as grpc from '@grpc/grpc-js';
import type { HealthCheckResponse__Output, HealthClient, HealthListResponse__Output } from '@pr-canary/proto';
import { describe, expect, it } from 'vitest';
import { buildStore, expectStatus, unary } from './helper';

function check(client: HealthClient, service: string) {
  return unary<HealthCheckResponse__Output>((md, options, cb) => client.check({ service }, md, options, cb));
}

describe('grpc.health.v1.Health', () => {
  it('reports SERVING for the server and ItemsService, and NOT_FOUND for other names', async () => {
    const { healthClient } = await buildStore();
    expect(await check(healthClient, '')).toEqual({ status: 'SERVING' });
    expect(await check(healthClient, 'store.v1.ItemsService')).toEqual({ status: 'SERVING' });
    await expectStatus(check(healthClient, 'store.v1.Nope'), grpc.status.NOT_FOUND);
  });

  it('lists every service name with its status', async () => {
    const { healthClient, health } = await buildStore();
    health.set('store.v1.ItemsService', 'NOT_SERVING');
    const listed = await unary<HealthListResponse__Output>((md, options, cb) =>
      healthClient.list({}, md, options, cb),
    );
    expect(listed.statuses).toEqual({
      '': { status: 'SERVING' },
      'store.v1.ItemsService': { status: 'NOT_SERVING' },
    });
  });

  it('reports NOT_SERVING once shutdown marks the store not ready', async () => {
    const { healthClient, health } = await buildStore();
    health.setAll('NOT_SERVING');
    expect(await check(healthClient, '')).toEqual({ status: 'NOT_SERVING' });
    expect(await check(healthClient, 'store.v1.ItemsService')).toEqual({ status: 'NOT_SERVING' });
  });

  it('streams the current status and every change to watchers, and no repeats', async () => {
    const { healthClient, health } = await buildStore();
    const call = healthClient.watch({ service: 'store.v1.ItemsService' });
    const statuses: string[] = [];
    const seen = (count: number) =>
      new Promise<void>((resolve) => {
        const onData = (message: HealthCheckResponse__Output) => {
          statuses.push(message.status);
          if (statuses.length === count) {
            call.off('data', onData);
            resolve();
          }
        };
        call.on('data', onData);
      });
    await seen(1);
    const next = seen(3);
    health.set('store.v1.ItemsService', 'NOT_SERVING');
    health.setAll('NOT_SERVING');
    health.set('store.v1.ItemsService', 'SERVING');
    await next;
    call.on('error', () => {});
    call.cancel();
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
  });

  it('tells a watcher of an unknown name SERVICE_UNKNOWN', async () => {
    const { healthClient } = await buildStore();
    const call = healthClient.watch({ service: 'store.v1.Nope' });
    const first = await new Promise<HealthCheckResponse__Output>((resolve) => call.once('data', resolve));
    call.on('error', () => {});
    call.cancel();
    expect(first.status).toBe('SERVICE_UNKNOWN');
  });
});
