import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTrace, parseTraceList, startTraceReceiver, type TraceReceiver } from '../src/index';

const receivers: TraceReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

async function receiver(options: Parameters<typeof startTraceReceiver>[0] = {}) {
  const started = await startTraceReceiver(options);
  receivers.push(started);
  return started;
}

/** A real OTel SDK tracer exporting OTLP/HTTP JSON to `url`, as a service's would. */
function tracerFor(url: string, resource: Record<string, string>) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
  });
  return { tracer: provider.getTracer('test'), flush: () => provider.forceFlush(), provider };
}

function otlpBody(spans: unknown[], service = 'api-service') {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ spans }],
      },
    ],
  };
}

function rawSpan(traceId: string, spanId: string, extra: Record<string, unknown> = {}) {
  return {
    traceId,
    spanId,
    name: 'GET /x',
    kind: 2,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000005000000',
    ...extra,
  };
}

function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

describe('trace receiver', () => {
  it('keeps what a real OTel exporter sends, named by service, track and version, errors marked', async () => {
    const local = await receiver();
    const api = tracerFor(local.url, {
      'service.name': 'api-service',
      'service.version': '0.1.0-pr42',
      'canary.track': 'pr-42',
    });
    const store = tracerFor(local.url, { 'service.name': 'store-service', 'service.version': '0.1.0' });
    const root = api.tracer.startSpan('GET /api/items/:id', {
      kind: SpanKind.SERVER,
      attributes: { 'canary.key': '42', 'http.response.status_code': 500 },
    });
    const { trace: traceApi, context: contextApi } = await import('@opentelemetry/api');
    const child = store.tracer.startSpan(
      'store.v1.ItemsService/GetItem',
      { kind: SpanKind.SERVER, attributes: { 'canary.key': '42', 'canary.track': 'stable' } },
      traceApi.setSpan(contextApi.active(), root),
    );
    child.recordException(new Error('table items-pr-42 is gone'));
    child.setStatus({ code: SpanStatusCode.ERROR });
    child.end();
    root.setStatus({ code: SpanStatusCode.ERROR, message: 'HTTP 500' });
    root.end();
    await Promise.all([api.flush(), store.flush()]);

    const traceId = root.spanContext().traceId;
    const response = await fetch(`${local.url}/api/traces/${traceId}`);
    expect(response.status).toBe(200);
    const trace = parseTrace(await response.json());
    const byName = Object.fromEntries(trace.spans.map((span) => [span.name, span]));
    expect(byName['GET /api/items/:id']).toMatchObject({
      service: 'api-service',
      version: '0.1.0-pr42',
      track: 'pr-42',
      kind: 'server',
      parentSpanId: null,
      status: { code: 'error', message: 'HTTP 500' },
      attributes: { 'canary.key': '42', 'http.response.status_code': 500 },
    });
    expect(byName['store.v1.ItemsService/GetItem']).toMatchObject({
      service: 'store-service',
      version: '0.1.0',
      track: 'stable',
      parentSpanId: root.spanContext().spanId,
      status: { code: 'error', message: null },
    });
    expect(byName['store.v1.ItemsService/GetItem']?.events[0]?.attributes['exception.message']).toBe(
      'table items-pr-42 is gone',
    );

    const list = parseTraceList(await (await fetch(`${local.url}/api/traces`)).json());
    expect(list).toEqual([
      expect.objectContaining({
        traceId,
        root: { service: 'api-service', name: 'GET /api/items/:id', track: 'pr-42' },
        spanCount: 2,
        errorCount: 2,
        services: ['api-service', 'store-service'],
        canaryKey: '42',
      }),
    ]);
    await Promise.all([api.provider.shutdown(), store.provider.shutdown()]);
  });

  it('keeps only the most recently updated traces, and caps spans per trace', async () => {
    const local = await receiver({ maxTraces: 3, maxSpansPerTrace: 2 });
    for (let n = 1; n <= 5; n++) {
      const traceId = hex(n, 32);
      expect((await post(local.url, JSON.stringify(otlpBody([rawSpan(traceId, hex(n, 16))])))).status).toBe(
        200,
      );
    }
    // Trace 3 gets a late span: it becomes the most recent.
    await post(
      local.url,
      JSON.stringify(otlpBody([rawSpan(hex(3, 32), hex(33, 16), { parentSpanId: hex(3, 16) })])),
    );
    // Over the cap: the export's answer says so (a partial success), never a plain success.
    const over = await post(
      local.url,
      JSON.stringify(otlpBody([rawSpan(hex(3, 32), hex(34, 16), { parentSpanId: hex(3, 16) })])),
    );
    expect(await over.json()).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: '1 span(s) over the 2 kept of one trace' },
    });
    const list = parseTraceList(await (await fetch(`${local.url}/api/traces`)).json());
    expect(list.map((summary) => summary.traceId)).toEqual([hex(3, 32), hex(5, 32), hex(4, 32)]);
    expect(list[0]?.spanCount).toBe(2);
    expect(local.store.droppedSpans).toBe(1);
    expect((await fetch(`${local.url}/api/traces/${hex(1, 32)}`)).status).toBe(404);
  });

  it('keeps about maxBytes of spans in all, dropping the least recently updated traces, and counts a cut text as cut', async () => {
    const local = await receiver({ maxBytes: 100_000 });
    const huge = 'x'.repeat(50_000);
    const attributes = Array.from({ length: 20 }, (_, n) => ({ key: `a${n}`, value: { stringValue: huge } }));
    for (let n = 1; n <= 5; n++) {
      const traceId = hex(n, 32);
      const body = otlpBody([rawSpan(traceId, hex(n, 16), { attributes })]);
      expect((await post(local.url, JSON.stringify(body))).status).toBe(200);
    }
    // Each span keeps 20 × 1,000 characters (~40 kB), not 20 × 50 kB: two fit, the oldest went.
    expect(local.store.bytes).toBeGreaterThan(80_000);
    expect(local.store.bytes).toBeLessThanOrEqual(100_000);
    const list = parseTraceList(await (await fetch(`${local.url}/api/traces`)).json());
    expect(list.map((summary) => summary.traceId)).toEqual([hex(5, 32), hex(4, 32)]);
  });

  it('orders a long chain of spans callers first whatever order they arrive in, and survives a cycle', async () => {
    const local = await receiver();
    const traceId = hex(9, 32);
    const chain = Array.from({ length: 1000 }, (_, n) =>
      rawSpan(traceId, hex(n + 1, 16), n === 0 ? {} : { parentSpanId: hex(n, 16) }),
    );
    const services = ['web', 'api-service', 'store-service'];
    // The callees' spans arrive first, each service's in reverse: as exports from three processes may.
    for (const [service, spans] of [
      ['store-service', chain.slice(2)],
      ['api-service', chain.slice(1, 2)],
      ['web', chain.slice(0, 1)],
    ] as const)
      await post(local.url, JSON.stringify(otlpBody([...spans].reverse(), service)));
    const [summary] = parseTraceList(await (await fetch(`${local.url}/api/traces`)).json());
    expect(summary).toMatchObject({ spanCount: 1000, services, root: { service: 'web' } });

    const looped = hex(10, 32);
    const cycle = [
      rawSpan(looped, hex(1, 16), { parentSpanId: hex(2, 16) }),
      rawSpan(looped, hex(2, 16), { parentSpanId: hex(1, 16) }),
    ];
    expect((await post(local.url, JSON.stringify(otlpBody(cycle)))).status).toBe(200);
    const [loopSummary] = parseTraceList(await (await fetch(`${local.url}/api/traces`)).json());
    expect(loopSummary).toMatchObject({ traceId: looped, spanCount: 2 });
  });

  it('answers only requests addressed to this machine (a DNS-rebinding page carries its own name)', async () => {
    const local = await receiver();
    const status = (path: string, host: string, method = 'GET') =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${local.url}${path}`, { method, headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(method === 'POST' ? JSON.stringify(otlpBody([])) : undefined);
      });
    expect(await status('/api/traces', `rebind.evil.example:${local.port}`)).toBe(403);
    expect(await status('/v1/traces', `rebind.evil.example:${local.port}`, 'POST')).toBe(403);
    expect(await status('/api/traces', `localhost:${local.port}`)).toBe(200);
    expect(await status('/api/traces', `127.0.0.1:${local.port}`)).toBe(200);
  });

  it('waits for a trace that has not arrived when asked to (waitMs), and answers as soon as it does', async () => {
    const local = await receiver();
    const traceId = hex(0xabc, 32);
    let answered = false;
    const reading = fetch(`${local.url}/api/traces/${traceId}?waitMs=10000`).finally(() => {
      answered = true;
    });
    // The read is held (no 404) until a span of the trace arrives.
    await expect.poll(() => local.waitingReads).toBe(1);
    expect(answered).toBe(false);
    expect((await post(local.url, JSON.stringify(otlpBody([rawSpan(traceId, hex(1, 16))])))).status).toBe(
      200,
    );
    const response = await reading;
    expect(response.status).toBe(200);
    expect(parseTrace(await response.json()).spans).toHaveLength(1);
    expect(local.waitingReads).toBe(0);
    // A trace already there is answered at once; one that never comes is a 404 when the wait is over.
    expect((await fetch(`${local.url}/api/traces/${traceId}?waitMs=10000`)).status).toBe(200);
    expect((await fetch(`${local.url}/api/traces/${hex(0xdef, 32)}?waitMs=50`)).status).toBe(404);
    expect(local.waitingReads).toBe(0);
    for (const bad of ['-1', '10001', '1.5', 'soon'])
      expect((await fetch(`${local.url}/api/traces/${traceId}?waitMs=${bad}`)).status, bad).toBe(400);
  });

  it('lets go of a waiting read whose client went away', async () => {
    const local = await receiver();
    const controller = new AbortController();
    const reading = fetch(`${local.url}/api/traces/${hex(0x123, 32)}?waitMs=10000`, {
      signal: controller.signal,
    }).catch(() => 'aborted');
    await expect.poll(() => local.waitingReads).toBe(1);
    controller.abort();
    expect(await reading).toBe('aborted');
    await expect.poll(() => local.waitingReads).toBe(0);
  });

  it('refuses what it cannot read with the OTLP status codes, and names why', async () => {
    const local = await receiver({ maxBodyBytes: 10_000 });
    const protobuf = await post(local.url, Buffer.from([0x0a, 0x00]), {
      'content-type': 'application/x-protobuf',
    });
    expect(protobuf.status).toBe(415);
    expect(((await protobuf.json()) as { message: string }).message).toContain('http/json');
    expect((await post(local.url, '{not json')).status).toBe(400);
    expect((await post(local.url, '[]')).status).toBe(400);
    expect((await post(local.url, 'x'.repeat(20_000))).status).toBe(413);
    expect((await fetch(`${local.url}/v1/traces`)).status).toBe(405);
    expect((await fetch(`${local.url}/v1/metrics`, { method: 'POST' })).status).toBe(404);
    // Every refusal in the one error shape of pr-canary's HTTP endpoints (@pr-canary/contracts/error-body).
    const badId = await fetch(`${local.url}/api/traces/not-a-trace`);
    expect(badId.status).toBe(400);
    expect(await badId.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'BAD_TRACE_ID',
      message: 'a trace id is 32 hexadecimal digits',
    });
    expect((await fetch(`${local.url}/api/traces?limit=0`)).status).toBe(400);

    // Bad spans are refused one by one (partial success); good ones in the same export are kept.
    const mixed = await post(
      local.url,
      JSON.stringify(otlpBody([rawSpan('zz', hex(1, 16)), rawSpan(hex(9, 32), hex(9, 16))])),
    );
    expect(await mixed.json()).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: '1 span(s) refused: traceId is not 32 hex digits' },
    });
    expect(local.store.get(hex(9, 32))?.spans).toHaveLength(1);
  });

  it('reads ids in either case as lowercase, refuses all-zero and wrong-length ones, and takes spans without default fields', async () => {
    const local = await receiver();
    const upper = hex(0xabc, 32).toUpperCase();
    const response = await post(
      local.url,
      JSON.stringify(
        otlpBody([
          // No events, links or dropped counts: proto3 JSON leaves fields at their default out.
          rawSpan(upper, hex(0xdef, 16).toUpperCase(), { parentSpanId: hex(0x1f, 16).toUpperCase() }),
          rawSpan('0'.repeat(32), hex(1, 16)),
          rawSpan(hex(2, 32), '0'.repeat(16)),
          rawSpan(hex(3, 31), hex(3, 16)),
          rawSpan(hex(4, 32), hex(4, 16), { parentSpanId: '0'.repeat(16) }),
        ]),
      ),
    );
    expect(await response.json()).toEqual({
      partialSuccess: { rejectedSpans: '4', errorMessage: '4 span(s) refused: traceId is not 32 hex digits' },
    });
    expect(local.store.get(upper.toLowerCase())?.spans).toEqual([
      expect.objectContaining({
        traceId: upper.toLowerCase(),
        spanId: hex(0xdef, 16),
        parentSpanId: hex(0x1f, 16),
        attributes: {},
        events: [],
      }),
    ]);
    expect(local.store.size).toBe(1);
  });

  it('reads gzip exports and strips control, separator and bidi characters from what it keeps', async () => {
    const local = await receiver();
    const body = otlpBody(
      [
        rawSpan(hex(7, 32), hex(7, 16), {
          name: 'GET \u001b[31m/evil\u0007\u202egnp.',
          attributes: [
            { key: 'k', value: { stringValue: 'a\nb\u2028c' } },
            { key: 'canary.track', value: { stringValue: 'pr-\u001b]0;pwn' } },
          ],
        }),
      ],
      'svc\u0000',
    );
    const response = await post(local.url, gzipSync(JSON.stringify(body)), { 'content-encoding': 'gzip' });
    expect(response.status).toBe(200);
    const span = local.store.get(hex(7, 32))?.spans[0];
    expect(span).toMatchObject({
      name: 'GET  [31m/evil  gnp.',
      service: 'svc ',
      attributes: { k: 'a b c' },
      // Not a track the services stamp: no track (the resource names none either).
      track: null,
      durationMs: 5,
    });
  });

  it('lets only the allowed browser origins read traces', async () => {
    const local = await receiver({ allowedOrigins: ['http://127.0.0.1:5173'] });
    const allowed = await fetch(`${local.url}/api/traces`, { headers: { origin: 'http://127.0.0.1:5173' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    const other = await fetch(`${local.url}/api/traces`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    local.allowOrigin('http://localhost:4173');
    const added = await fetch(`${local.url}/api/traces`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:4173' },
    });
    expect(added.status).toBe(204);
    expect(added.headers.get('access-control-allow-origin')).toBe('http://localhost:4173');
  });
});
