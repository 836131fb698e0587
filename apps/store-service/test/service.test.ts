import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { itemsServiceClientConstructor } from '@pr-canary/proto';
import { createLogger } from '@pr-canary/service-kit';
import { logLines, storeServiceEnv } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SERVICE_NAME } from '../src/app';
import { loadConfig } from '../src/config';
import { newItemId } from '../src/ids';
import { startService } from '../src/service';
import { dynaliteEndpoint, expectStatus, itemsApi, TEST_IDENTITY } from './helper';

/** A store on loopback ports over a fresh table in this file's dynalite, plus `env`. */
async function localConfig(env: Record<string, string>) {
  return loadConfig({
    ...storeServiceEnv({
      endpoint: await dynaliteEndpoint(),
      table: `items-${randomUUID()}`,
      createTable: true,
    }),
    ...env,
  });
}

describe('startService', () => {
  it('wires config → table → gRPC server → metrics server, and closes cleanly', async () => {
    const config = await localConfig({ CANARY_TRACK: 'pr-42', SERVICE_VERSION: '0.4.0' });
    const { lines, stream } = logLines();
    const logger = createLogger({ identity: { ...TEST_IDENTITY, track: 'pr-42' }, destination: stream });
    const store = await startService(config, { logger });
    let closed = false;
    onTestFinished(async () => {
      if (!closed) await store.close();
    });

    const Client = itemsServiceClientConstructor();
    const client = new Client(`127.0.0.1:${store.port}`, grpc.credentials.createInsecure());
    onTestFinished(() => client.close());
    const headers = new Promise<grpc.Metadata>((resolve) => {
      client.createItem({ name: 'Served', description: '', priceCents: 1 }, () => {}).on('metadata', resolve);
    });
    expect((await headers).get('x-served-by')).toEqual([`${SERVICE_NAME};track="pr-42";version="0.4.0"`]);
    const page = await itemsApi(client).list({ pageSize: 5 });
    expect(page.items.map((item) => item.name)).toEqual(['Served']);

    const metrics = await (await fetch(`http://127.0.0.1:${store.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(
      /pr_canary_grpc_server_handled_total\{[^}]*grpc_method="ListItems"[^}]*track="pr-42"/,
    );
    expect(metrics).toContain('process_cpu_seconds_total');

    await store.close();
    closed = true;
    await expect(fetch(`http://127.0.0.1:${store.metricsPort}/metrics`)).rejects.toThrow();
    expect(lines.filter((line) => line.level === 50)).toEqual([]);
  });

  it('acts on faults set at start, and on faults set at run time where the admin endpoint is on', async () => {
    const start = async (env: Record<string, string>) => {
      const store = await startService(await localConfig(env), {
        logger: createLogger({ identity: TEST_IDENTITY, destination: logLines().stream }),
      });
      onTestFinished(() => store.close());
      const Client = itemsServiceClientConstructor();
      const client = new Client(`127.0.0.1:${store.port}`, grpc.credentials.createInsecure());
      onTestFinished(() => client.close());
      const faultsUrl = `http://127.0.0.1:${store.metricsPort}/faults`;
      return { api: itemsApi(client), faultsUrl };
    };
    const injected = 'injected fault: this call is set to fail (CANARY_FAULTS fail=)';

    // Nothing configured: no admin endpoint, calls untouched.
    const plain = await start({});
    expect((await fetch(plain.faultsUrl)).status).toBe(404);
    await plain.api.list({ pageSize: 1 });

    // CANARY_FAULTS alone: the named call fails on purpose, the others run; no admin endpoint.
    const configured = await start({ CANARY_FAULTS: 'fail=ListItems' });
    expect((await expectStatus(configured.api.list({ pageSize: 1 }), grpc.status.UNAVAILABLE)).details).toBe(
      injected,
    );
    await expectStatus(configured.api.get({ id: newItemId() }), grpc.status.NOT_FOUND);
    expect((await fetch(configured.faultsUrl)).status).toBe(404);

    // The admin endpoint alone (as the local stack runs every instance): faults come and go at run time.
    const admin = await start({ CANARY_FAULTS_ADMIN: 'true' });
    await admin.api.list({ pageSize: 1 });
    expect((await fetch(admin.faultsUrl, { method: 'PUT', body: 'fail=ListItems' })).status).toBe(200);
    expect((await expectStatus(admin.api.list({ pageSize: 1 }), grpc.status.UNAVAILABLE)).details).toBe(
      injected,
    );
    expect((await fetch(admin.faultsUrl, { method: 'DELETE' })).status).toBe(200);
    await admin.api.list({ pageSize: 1 });
  });
});
