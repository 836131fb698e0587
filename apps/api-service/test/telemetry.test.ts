/**
 * One HTTP request → one trace across both services: api and store run as real processes with the
 * telemetry register preloaded, exporting OTLP/HTTP JSON to a tiny receiver in this test.
 */
import { randomUUID } from 'node:crypto';
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

describe('telemetry across api and store processes', () => {
  it("one request with X-Canary: 42 is one trace — api server → gRPC client → store server → DynamoDB — named by X-Trace-Id and in the api's log", async () => {
    const store = startService('store-service', {
      ...otelEnv('store-service'),
      LOG_LEVEL: 'debug',
      DYNAMODB_TABLE: `items-${randomUUID()}`,
      DYNAMODB_ENDPOINT: db.endpoint,
      DYNAMODB_CREATE_TABLE: 'true',
      AWS_REGION: 'us-east-1',
    });
    services.push(store);
    const storePort = await listeningPort(store);
    const api = startService('api-service', {
      ...otelEnv('api-service'),
      LOG_LEVEL: 'debug',
      STORE_ADDR: `127.0.0.1:${storePort}`,
    });
    services.push(api);
    const apiPort = await listeningPort(api);

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
  });
});
