import { createServer, type Server, type Socket } from 'node:net';
import { context, diag, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { type OtlpReceiver, startOtlpReceiver, waitUntil } from '@pr-canary/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { exportWaitMs, LocalExportProcessor } from '../src/telemetry-local';
import { addEncodedSpan, type EncodedSpans, encodeExportRequest } from '../src/telemetry-otlp-json';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function providerWith(processor: LocalExportProcessor | SimpleSpanProcessor, service = 'api-service') {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'canary.track': 'pr-42' }),
    spanProcessors: [processor],
  });
  cleanups.push(() => provider.shutdown());
  return provider;
}

async function receiver(): Promise<OtlpReceiver> {
  const started = await startOtlpReceiver();
  cleanups.push(() => started.close());
  return started;
}

/** Spans of every shape the SDK makes: parents local and remote, each attribute type, events, links, errors. */
function finishedSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const api = providerWith(new SimpleSpanProcessor(exporter));
  const store = providerWith(new SimpleSpanProcessor(exporter), 'store-service');
  const tracer = api.getTracer('@pr-canary/canary-context');
  const versioned = api.getTracer('other-scope', '1.2.3', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
  });
  const root = tracer.startSpan('GET /api/items/:id', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.route': '/api/items/:id',
      quoted: 'a "quote", a \\ backslash, a\nnewline, \u0001 control, ünïcödé, emoji 🚀',
      int: 200,
      negative: -7,
      double: 0.25,
      nan: Number.NaN,
      infinite: Number.POSITIVE_INFINITY,
      yes: true,
      no: false,
      strings: ['a', 'b"c'],
      numbers: [1, 2.5],
      mixed: ['x', null, undefined, 3] as string[],
      empty: [],
    },
  });
  const parent = trace.setSpan(ROOT_CONTEXT, root);
  const child = tracer.startSpan('store.v1.ItemsService/GetItem', { kind: SpanKind.CLIENT }, parent);
  child.addEvent('retry', { attempt: 2 });
  child.addEvent('no attributes');
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'UNAVAILABLE: "store" is down' });
  child.end();
  versioned
    .startSpan('linked', {
      kind: SpanKind.INTERNAL,
      links: [{ context: child.spanContext(), attributes: { why: 'retry' } }],
    })
    .end();
  tracer.startSpan('ok', {}, parent).setStatus({ code: SpanStatusCode.OK }).end();
  // Past the first buffer's 64 KiB, in multi-byte characters.
  tracer.startSpan('large', { attributes: { text: 'ü€🚀'.repeat(12_000) } }, parent).end();
  root.end();
  // A remote parent with trace state, as a server span extracted from `traceparent` has.
  const remote = new W3CTraceContextPropagator().extract(
    ROOT_CONTEXT,
    {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=value,other=x',
    },
    { get: (carrier, key) => carrier[key as keyof typeof carrier], keys: (carrier) => Object.keys(carrier) },
  );
  store
    .getTracer('@pr-canary/canary-context')
    .startSpan('store.v1.ItemsService/GetItem', { kind: SpanKind.SERVER }, remote)
    .end();
  return exporter.getFinishedSpans();
}

/**
 * The serializer's request with each span's zero counts and empty event/link lists removed: in proto3
 * JSON a field at its default value and an absent one are the same message, and ours leaves them out.
 */
function withoutSpanDefaults(request: { resourceSpans: { scopeSpans: { spans: object[] }[] }[] }) {
  const defaults: Record<string, (value: unknown) => boolean> = {
    droppedAttributesCount: (value) => value === 0,
    droppedEventsCount: (value) => value === 0,
    droppedLinksCount: (value) => value === 0,
    events: (value) => Array.isArray(value) && value.length === 0,
    links: (value) => Array.isArray(value) && value.length === 0,
  };
  for (const resource of request.resourceSpans)
    for (const scope of resource.scopeSpans)
      scope.spans = scope.spans.map((span) =>
        Object.fromEntries(Object.entries(span).filter(([key, value]) => !defaults[key]?.(value))),
      );
  return request;
}

describe('OTLP JSON encoding', () => {
  it('writes the request the OTel JSON serializer writes, for every kind of span', () => {
    const spans = finishedSpans();
    expect(spans.length).toBe(6);
    const batch: EncodedSpans = new Map();
    for (const span of spans) addEncodedSpan(batch, span);
    const ours = JSON.parse(encodeExportRequest(batch).toString('utf8'));
    const theirs = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)));
    expect(ours).toEqual(withoutSpanDefaults(theirs));
    // The comparison saw what matters: two resources, scopes with and without a version, a remote parent.
    expect(ours.resourceSpans).toHaveLength(2);
    expect(ours.resourceSpans[0].scopeSpans).toHaveLength(2);
    expect(ours.resourceSpans[1].scopeSpans[0].spans[0]).toMatchObject({
      parentSpanId: 'b7ad6b7169203331',
      traceState: 'vendor=value,other=x',
      flags: 0x301,
    });
  });
});

describe('LocalExportProcessor', () => {
  it('sends sampled spans to the trace receiver as OTLP JSON, within the delay', async () => {
    const local = await receiver();
    const processor = new LocalExportProcessor({ url: `${local.endpoint}/v1/traces`, delayMs: 20 });
    const tracer = providerWith(processor).getTracer('test');
    const root = tracer.startSpan('GET /api/items/:id', {
      kind: SpanKind.SERVER,
      attributes: { 'canary.key': '42' },
    });
    tracer
      .startSpan(
        'store.v1.ItemsService/GetItem',
        { kind: SpanKind.CLIENT },
        trace.setSpan(context.active(), root),
      )
      .end();
    root.end();
    await waitUntil(async () => local.spans.length === 2);
    const parent = local.spans.find((span) => span.parentSpanId === undefined);
    const child = local.spans.find((span) => span.parentSpanId !== undefined);
    expect(parent).toMatchObject({ service: 'api-service', name: 'GET /api/items/:id', kind: 2 });
    expect(parent?.attributes).toMatchObject({ 'canary.key': '42' });
    expect(child).toMatchObject({ parentSpanId: parent?.spanId, traceId: parent?.traceId, kind: 3 });
  });

  it('sends at once when a batch is full, and everything waiting on forceFlush', async () => {
    const local = await receiver();
    const processor = new LocalExportProcessor({
      url: `${local.endpoint}/v1/traces`,
      delayMs: 600_000,
      maxBatch: 3,
    });
    const tracer = providerWith(processor).getTracer('test');
    for (let i = 0; i < 3; i++) tracer.startSpan(`batch-${i}`).end();
    await waitUntil(async () => local.spans.length === 3);
    tracer.startSpan('flushed').end();
    await processor.forceFlush();
    expect(local.spans.map((span) => span.name)).toContain('flushed');
  });

  it('sends no unsampled span', async () => {
    const local = await receiver();
    const processor = new LocalExportProcessor({ url: `${local.endpoint}/v1/traces`, delayMs: 1 });
    const provider = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [processor],
    });
    cleanups.push(() => provider.shutdown());
    const span = provider.getTracer('test').startSpan('not sampled');
    expect(span.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(0);
    span.end();
    await processor.forceFlush();
    providerWith(processor).getTracer('test').startSpan('sampled').end();
    await processor.forceFlush();
    expect(local.spans.map((s) => s.name)).toEqual(['sampled']);
  });

  it('bounds what waits while the receiver hangs, fails the stuck export after the timeout, and shuts down', async () => {
    // A receiver that accepts connections and never answers.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket.on('error', () => {})));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const failures: string[] = [];
    diag.setLogger({
      error: () => {},
      warn: (message: string) => void failures.push(message),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    });
    cleanups.push(() => diag.disable());
    const { port } = silent.address() as { port: number };
    const processor = new LocalExportProcessor({
      url: `http://127.0.0.1:${port}/v1/traces`,
      delayMs: 600_000,
      maxBatch: 1,
      maxQueue: 2,
      timeoutMs: 300,
    });
    const tracer = providerWith(processor).getTracer('test');
    tracer.startSpan('in flight').end(); // a full batch: sent at once, and never answered
    await waitUntil(async () => sockets.size === 1);
    for (let i = 0; i < 5; i++) tracer.startSpan(`waiting-${i}`).end();
    expect(processor.droppedSpans).toBe(3);
    await waitUntil(async () => failures.includes('local trace export failed'));
    expect(failures.filter((message) => message.includes('queue is full'))).toHaveLength(1);
    // The two that waited go out once the stuck export has failed; shutdown waits for that export too,
    // but not for the 10-minute delay (the test's own timeout would end it first).
    await processor.shutdown();
  });

  it('sends a lone span after the short delay, and under load at most once per interval', () => {
    // After a quiet spell (or before any export): the short delay only.
    expect(exportWaitMs(50, 500, Number.POSITIVE_INFINITY)).toBe(50);
    expect(exportWaitMs(50, 500, 2_000)).toBe(50);
    expect(exportWaitMs(50, 500, 450)).toBe(50);
    // Soon after an export: until the interval since it started is over.
    expect(exportWaitMs(50, 500, 100)).toBe(400);
    expect(exportWaitMs(50, 500, 0)).toBe(500);
  });

  it('shuts down at once when no receiver listens', async () => {
    const unused = createServer();
    await new Promise<void>((resolve) => unused.listen(0, '127.0.0.1', resolve));
    const { port } = unused.address() as { port: number };
    await new Promise<void>((resolve) => unused.close(() => resolve()));
    const processor = new LocalExportProcessor({ url: `http://127.0.0.1:${port}/v1/traces` });
    providerWith(processor).getTracer('test').startSpan('lost').end();
    await processor.shutdown();
    // Spans after shutdown are not taken.
    providerWith(processor).getTracer('test').startSpan('after').end();
    expect(processor.droppedSpans).toBe(0);
  });
});
