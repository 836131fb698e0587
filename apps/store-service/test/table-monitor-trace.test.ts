/**
 * The trace half of "the checks a failing call sets off run outside that call" (table-readiness.test.ts
 * holds the canary half): the store runs as a real process with the telemetry register preloaded,
 * exporting to a receiver in this test. A PR call that fails because DynamoDB is down sets off the
 * table monitor, and none of the monitor's checks (DescribeTable while DynamoDB is down, CreateTable
 * once it is back) becomes a span of that call's trace. When the monitor inherited the call's
 * context, every check after an outage was another span of a trace long finished.
 */
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { healthClientConstructor, itemsServiceClientConstructor } from '@pr-canary/proto';
import {
  closedAfter,
  listeningPort,
  startDynalite,
  startOtlpReceiver,
  startServiceProcess,
  storeServiceEnv,
  waitUntil,
} from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { expectStatus, itemsApi, itemsServingStatus } from './helper';

/** The caller's trace and span: the store's server span is its child. */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const traceparent = (traceId: string) => `00-${traceId}-${CALLER_SPAN_ID}-01`;
/** A second call's trace, made once the store is back: exported after every span that ended before it. */
const MARKER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

describe('the table monitor, traced', () => {
  it("no check a PR's failing call sets off becomes a span of that call's trace", async () => {
    const db = await closedAfter(onTestFinished, startDynalite());
    const receiver = await closedAfter(onTestFinished, startOtlpReceiver());
    const env = storeServiceEnv({ endpoint: db.endpoint, table: 'items-trace', createTable: true });
    const store = startServiceProcess({
      cwd: path.resolve(__dirname, '..'),
      env: {
        ...env,
        OTEL_SERVICE_NAME: 'store-service',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    onTestFinished(() => store.stop());
    const address = `127.0.0.1:${await listeningPort(store)}`;
    const items = itemsApi(new (itemsServiceClientConstructor())(address, grpc.credentials.createInsecure()));
    const health = new (healthClientConstructor())(address, grpc.credentials.createInsecure());
    onTestFinished(() => health.close());
    const status = () => itemsServingStatus(health);
    const traced = (traceId: string) => {
      const metadata = new grpc.Metadata();
      metadata.set('x-canary', '42');
      metadata.set('traceparent', traceparent(traceId));
      return { metadata };
    };
    await waitUntil(async () => (await status()) === 'SERVING');

    await db.close();
    await expectStatus(items.list({ pageSize: 0, pageToken: '' }, traced(TRACE_ID)), grpc.status.UNAVAILABLE);
    await waitUntil(async () => (await status()) === 'NOT_SERVING');
    await closedAfter(onTestFinished, startDynalite({ port: db.port }));
    await waitUntil(async () => (await status()) === 'SERVING');
    // Spans leave in the order they ended: once this call's are in, every check's before it is too.
    await items.list({ pageSize: 0, pageToken: '' }, traced(MARKER_TRACE_ID));
    await waitUntil(async () => receiver.spans.some((span) => span.traceId === MARKER_TRACE_ID));

    const inTrace = receiver.spans.filter((span) => span.traceId === TRACE_ID);
    const server = inTrace.find(
      (span) => span.name === 'store.v1.ItemsService/ListItems' && span.parentSpanId === CALLER_SPAN_ID,
    );
    expect(server, JSON.stringify(inTrace)).toBeDefined();
    // The call's own spans only: its server span and the DynamoDB call it made.
    expect(inTrace.filter((span) => /DescribeTable|CreateTable/.test(span.name))).toEqual([]);
    expect(inTrace.filter((span) => span !== server).map((span) => span.parentSpanId)).toEqual([
      server?.spanId,
    ]);
  });
});
