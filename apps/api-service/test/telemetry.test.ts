/**
 * One HTTP request → one trace across both services: api and store run as real processes with the
 * telemetry register preloaded, exporting OTLP/HTTP JSON to a tiny receiver in this test. Probes
 * (readiness, a health check) start no trace of their own.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { healthClientConstructor, ITEMS_SERVICE_NAME } from '@pr-canary/proto';
import {
  listeningPort,
  type OtlpReceiver,
  type RunningDynalite,
  type ServiceProcess,
  SPAN_KIND_CLIENT,
  SPAN_KIND_SERVER,
  startDynalite,
  startOtlpReceiver,
  waitUntil,
} from '@pr-canary/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from './stack';

let db: RunningDynalite;
let receiver: OtlpReceiver;
const services: ServiceProcess[] = [];

beforeAll(async () => {
  db = await startDynalite();
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  for (const service of services) await service.stop();
  await receiver?.close();
  await db?.close();
});

function otelEnv(serviceName: string): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: serviceName,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    SERVICE_VERSION: '0.1.0-test',
    PORT: '0',
    METRICS_PORT: '0',
  };
}

/** A traced store and api over a fresh table, both exporting to the receiver under these names. */
async function startTracedPair(
  names = { api: 'api-service', store: 'store-service' },
): Promise<{ storePort: number; apiPort: number; api: ServiceProcess }> {
  const store = startService('store-service', {
    ...otelEnv(names.store),
    LOG_LEVEL: 'debug',
    DYNAMODB_TABLE: `items-${randomUUID()}`,
    DYNAMODB_ENDPOINT: db.endpoint,
    DYNAMODB_CREATE_TABLE: 'true',
    AWS_REGION: 'us-east-1',
  });
  services.push(store);
  const storePort = await listeningPort(store);
  const api = startService('api-service', {
    ...otelEnv(names.api),
    LOG_LEVEL: 'debug',
    STORE_ADDR: `127.0.0.1:${storePort}`,
  });
  services.push(api);
  return { storePort, apiPort: await listeningPort(api), api };
}

describe('telemetry across api and store processes', () => {
  it("one request with X-Canary: 42 is one trace — api server → gRPC client → store server → DynamoDB — named by X-Trace-Id and in the api's log", async () => {
    const { apiPort, api } = await startTracedPair();

    const response = await fetch(
      `http://127.0.0.1:${apiPort}/api/items/01937a4e-4f1c-7000-8000-000000000000`,
      {
        headers: { 'x-canary': '42' },
      },
    );
    expect(response.status).toBe(404);
    const traceId = response.headers.get('x-trace-id') ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
    await waitUntil(async () => inTrace().length >= 4);
    const spans = inTrace();
    const find = (service: string, name: string, kind: number) => {
      const span = spans.find((s) => s.service === service && s.name === name && s.kind === kind);
      if (!span) throw new Error(`no ${service} ${name}: ${JSON.stringify(spans)}`);
      return span;
    };
    const apiServer = find('api-service', 'GET /api/items/:id', SPAN_KIND_SERVER);
    const grpcClient = find('api-service', 'store.v1.ItemsService/GetItem', SPAN_KIND_CLIENT);
    const storeServer = find('store-service', 'store.v1.ItemsService/GetItem', SPAN_KIND_SERVER);
    const dynamo = find('store-service', 'DynamoDB.GetItem', SPAN_KIND_CLIENT);
    expect(apiServer.parentSpanId).toBeUndefined();
    expect(grpcClient.parentSpanId).toBe(apiServer.spanId);
    expect(storeServer.parentSpanId).toBe(grpcClient.spanId);
    expect(dynamo.parentSpanId).toBe(storeServer.spanId);
    expect(spans).toHaveLength(4);
    for (const span of spans) expect(span.attributes['canary.key'], span.name).toBe('42');
    expect(storeServer.attributes['rpc.grpc.status_code']).toBe('5'); // NOT_FOUND
    expect(apiServer.attributes['http.response.status_code']).toBe('404');
    // OpenTelemetry's conventions: NOT_FOUND fails the client's span, not the server's (it answered
    // the request), and a 404 is no HTTP server error.
    expect(
      Object.fromEntries(spans.map((span) => [`${span.service} ${span.kind} ${span.name}`, span.status])),
    ).toEqual({
      [`api-service ${SPAN_KIND_SERVER} GET /api/items/:id`]: 'unset',
      [`api-service ${SPAN_KIND_CLIENT} store.v1.ItemsService/GetItem`]: 'error',
      [`store-service ${SPAN_KIND_SERVER} store.v1.ItemsService/GetItem`]: 'unset',
      [`store-service ${SPAN_KIND_CLIENT} DynamoDB.GetItem`]: 'unset',
    });

    // Placed to the microsecond, not the millisecond the SDK's Date.now() start gives: within each
    // process a child lies inside its parent (it could seem to end after it), and starts are not
    // all on millisecond boundaries (each is, with the SDK's default start time).
    const start = (span: (typeof spans)[number]) => BigInt(span.startUnixNano);
    const end = (span: (typeof spans)[number]) => start(span) + BigInt(Math.round(span.durationMs * 1e6));
    for (const [parent, child] of [
      [apiServer, grpcClient],
      [storeServer, dynamo],
    ] as const) {
      expect(start(child) >= start(parent), `${child.name} starts in ${parent.name}`).toBe(true);
      expect(end(child) <= end(parent), `${child.name} ends in ${parent.name}`).toBe(true);
    }
    expect(spans.filter((span) => start(span) % 1_000_000n !== 0n).length).toBeGreaterThan(0);

    // Logs carry the same id (the shared logger stamps the active span's trace on every line).
    await waitUntil(async () => api.logs.some((line) => line.trace_id === traceId));
    expect(api.logs.filter((line) => line.trace_id === traceId).map((line) => line.msg)).toContain(
      'request completed',
    );

    // An invalid key says so on the api's span (as the `canary` metric label does), never its text; it
    // is not propagated, so the store's spans have none.
    const invalid = await fetch(
      `http://127.0.0.1:${apiPort}/api/items/01937a4e-4f1c-7000-8000-000000000000`,
      {
        headers: { 'x-canary': 'abc' },
      },
    );
    const invalidTraceId = invalid.headers.get('x-trace-id') ?? '';
    await waitUntil(async () => receiver.spans.filter((span) => span.traceId === invalidTraceId).length >= 4);
    const keys = Object.fromEntries(
      receiver.spans
        .filter((span) => span.traceId === invalidTraceId)
        .map((span) => [`${span.service} ${span.kind} ${span.name}`, span.attributes['canary.key']]),
    );
    expect(keys).toEqual({
      [`api-service ${SPAN_KIND_SERVER} GET /api/items/:id`]: 'invalid',
      [`api-service ${SPAN_KIND_CLIENT} store.v1.ItemsService/GetItem`]: 'invalid',
      [`store-service ${SPAN_KIND_SERVER} store.v1.ItemsService/GetItem`]: 'absent',
      [`store-service ${SPAN_KIND_CLIENT} DynamoDB.GetItem`]: 'absent',
    });
  });
  it("probes start no trace — /readyz's store check and a direct Health/Check — while /api/route's Health call stays in its request's trace", async () => {
    // Names of their own: the receiver also holds the other test's spans.
    const names = { api: 'api-probes', store: 'store-probes' };
    const { storePort, apiPort } = await startTracedPair(names);
    const health = new (healthClientConstructor())(
      `127.0.0.1:${storePort}`,
      grpc.credentials.createInsecure(),
    );
    try {
      for (let i = 0; i < 3; i++)
        expect((await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status).toBe(200);
      await new Promise<void>((resolve, reject) =>
        health.check({ service: ITEMS_SERVICE_NAME }, (error) => (error ? reject(error) : resolve())),
      );
    } finally {
      health.close();
    }
    const route = await fetch(`http://127.0.0.1:${apiPort}/api/route`, { headers: { 'x-canary': '42' } });
    expect(route.status).toBe(200);
    const traceId = route.headers.get('x-trace-id') ?? '';
    // Each process exports in the order its spans ended: once this request's are in, every earlier one is.
    await waitUntil(async () => receiver.spans.filter((span) => span.traceId === traceId).length >= 3);
    const ours = receiver.spans.filter((span) => span.service === names.api || span.service === names.store);
    // Every span of this pair is the request's: api server, its Health client call, the store's server span.
    expect(ours.map((span) => `${span.service} ${span.kind} ${span.name}`).sort()).toEqual(
      [
        `${names.api} ${SPAN_KIND_SERVER} GET /api/route`,
        `${names.api} ${SPAN_KIND_CLIENT} grpc.health.v1.Health/Check`,
        `${names.store} ${SPAN_KIND_SERVER} grpc.health.v1.Health/Check`,
      ].sort(),
    );
    for (const span of ours) expect(span.traceId).toBe(traceId);
  });
});
