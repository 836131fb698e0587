import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { itemsServiceClientConstructor } from '@pr-canary/proto';
import { createLogger } from '@pr-canary/service-kit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SERVICE_NAME } from '../src/app';
import { loadConfig } from '../src/config';
import { startService } from '../src/service';
import { dynaliteEndpoint, itemsApi, TEST_IDENTITY } from './helper';

/** A pino destination that keeps each JSON line. */
function lineCollector() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}

describe('startService', () => {
  it('wires config → table → gRPC server → metrics server, and closes cleanly', async () => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      DYNAMODB_TABLE: `items-${randomUUID()}`,
      DYNAMODB_ENDPOINT: await dynaliteEndpoint(),
      DYNAMODB_CREATE_TABLE: 'true',
      CANARY_TRACK: 'pr-42',
      SERVICE_VERSION: '0.4.0',
    });
    const { lines, stream } = lineCollector();
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

  it('refuses to start when it must create the table and DynamoDB is unreachable', async () => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      DYNAMODB_TABLE: 'items',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
      DYNAMODB_CREATE_TABLE: 'true',
    });
    const { stream } = lineCollector();
    const logger = createLogger({ identity: TEST_IDENTITY, destination: stream });
    await expect(startService(config, { logger })).rejects.toThrow(/ECONNREFUSED/);
  });
});
