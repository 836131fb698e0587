import { waitUntil } from '@pr-canary/test-support';
import {
  parseTrace,
  parseTraceList,
  startTraceReceiver,
  type Trace,
  type TraceReceiver,
} from '@pr-canary/traces';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../src/stack/stack';
import { runCanaryInProcess } from '../helper';

/**
 * Traces in the real stack: the services export to the stack's own OTLP/HTTP receiver, every response
 * names its trace, `pr-canary trace` prints the waterfall — and OTEL_* still reaches an external
 * collector, as well (default) or instead (`traces: false`).
 */

const MISSING_ITEM = '/api/items/01937a4e-4f1c-7000-8000-000000000000';
const TRACE_WAIT_MS = 15_000;

async function get(stack: Stack, pathname: string, key?: string) {
  const response = await fetch(`${stack.urls.api}${pathname}`, { headers: key ? { 'X-Canary': key } : {} });
  await response.body?.cancel();
  return { status: response.status, traceId: response.headers.get('x-trace-id') };
}

/** The trace once it holds `count` spans, read over the receiver's HTTP API. */
async function traceWith(baseUrl: string, traceId: string, count: number): Promise<Trace> {
  let trace: Trace | undefined;
  await waitUntil(async () => {
    const response = await fetch(`${baseUrl}/api/traces/${traceId}`);
    if (response.status !== 200) return false;
    trace = parseTrace(await response.json());
    return trace.spans.length >= count;
  }, TRACE_WAIT_MS);
  return trace as Trace;
}

describe('the stack traces every request to its own receiver', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      canaries: [{ pr: '42', services: ['api-service', 'store-service'], version: '0.1.0-pr42' }],
      readyTimeoutMs: 15_000,
    });
  });
  afterAll(() => stack?.stop());

  it('names the trace in X-Trace-Id and keeps every hop: api → gRPC → store → DynamoDB, on PR 42', async () => {
    expect(stack.urls.traces).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { status, traceId } = await get(stack, MISSING_ITEM, '42');
    expect(status).toBe(404);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const trace = await traceWith(stack.urls.traces as string, traceId as string, 4);
    const spans = trace.spans.map((span) => [span.service, span.track, span.version, span.kind, span.name]);
    expect(spans).toEqual(
      expect.arrayContaining([
        ['api-service', 'pr-42', '0.1.0-pr42', 'server', 'GET /api/items/:id'],
        ['api-service', 'pr-42', '0.1.0-pr42', 'client', 'store.v1.ItemsService/GetItem'],
        ['store-service', 'pr-42', '0.1.0-pr42', 'server', 'store.v1.ItemsService/GetItem'],
        ['store-service', 'pr-42', '0.1.0-pr42', 'client', 'DynamoDB.GetItem'],
      ]),
    );
    expect(trace.spans.every((span) => span.attributes['canary.key'] === '42')).toBe(true);
    // The store canary's own table (data isolation), named on its DynamoDB span.
    expect(
      trace.spans.find((span) => span.name === 'DynamoDB.GetItem')?.attributes['aws.dynamodb.table_names'],
    ).toMatch(/^\["[a-z-]*items-pr-42"\]$/);
  });

  it("traces a request whose caller sent an unsampled traceparent, in the caller's trace", async () => {
    const callerTrace = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const response = await fetch(`${stack.urls.api}${MISSING_ITEM}`, {
      headers: { traceparent: `00-${callerTrace}-bbbbbbbbbbbbbbbb-00` },
    });
    await response.body?.cancel();
    expect(response.headers.get('x-trace-id')).toBe(callerTrace);
    await traceWith(stack.urls.traces as string, callerTrace, 4);
  });

  it("keeps the stores' own DynamoDB calls (table checks) out: every trace kept is a request's", async () => {
    const { traceId } = await get(stack, MISSING_ITEM);
    await traceWith(stack.urls.traces as string, traceId as string, 4);
    // By now the stores' start-up DescribeTable (and any 5-second table check) went to the receiver too.
    const list = parseTraceList(await (await fetch(`${stack.urls.traces}/api/traces?limit=300`)).json());
    expect(list.length).toBeGreaterThan(0);
    expect(list.filter((summary) => !summary.root || summary.root.name.startsWith('DynamoDB.'))).toEqual([]);
  });

  it('prints the waterfall with `pr-canary trace <id>`, and lists it with `pr-canary traces`', async () => {
    const { traceId } = await get(stack, '/api/route', '42');
    await traceWith(stack.urls.traces as string, traceId as string, 3);
    const printed = await runCanaryInProcess([
      'trace',
      traceId as string,
      '--url',
      stack.urls.traces as string,
    ]);
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    const lines = printed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^trace ${traceId} · 3 spans · api-service, store-service · `));
    expect(lines[2]).toMatch(
      /^GET \/api\/route +api-service +pr-42 +0\.1\.0-pr42 +█+.* HTTP 200 {2}canary\.key=42/,
    );
    expect(lines[4]).toMatch(/^ {4}grpc\.health\.v1\.Health\/Check +store-service +pr-42 .* canary\.key=42/);

    const listed = await runCanaryInProcess(['traces', '--url', stack.urls.traces as string, '-n', '5']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${traceId} `);
    const last = await runCanaryInProcess([
      'trace',
      '--last',
      '--json',
      '--url',
      stack.urls.traces as string,
    ]);
    expect(parseTrace(JSON.parse(last.stdout)).spans.length).toBeGreaterThan(0);

    const malformed = await runCanaryInProcess(['trace', 'nope', '--url', stack.urls.traces as string]);
    expect(malformed).toMatchObject({ code: 2, stderr: expect.stringContaining('32 hexadecimal digits') });
    const unknown = await runCanaryInProcess([
      'trace',
      'f'.repeat(32),
      '--wait',
      '0',
      '--url',
      stack.urls.traces as string,
    ]);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining(`no trace ${'f'.repeat(32)}`) });
  });

  it('marks where an error came from: PR 42 store canary down → the gRPC hop fails naming it', async () => {
    await stack.kill('store-service', 'pr-42');
    const { status, traceId } = await get(stack, '/api/route', '42');
    expect(status).toBe(503);
    const trace = await traceWith(stack.urls.traces as string, traceId as string, 2);
    const client = trace.spans.find((span) => span.kind === 'client');
    expect(client?.status).toEqual({
      code: 'error',
      message: expect.stringMatching(
        /^UNAVAILABLE: PR 42's store-service canary is declared but not running/,
      ),
    });
    expect(trace.spans.find((span) => span.kind === 'server')?.status.code).toBe('error');
    const printed = await runCanaryInProcess([
      'trace',
      traceId as string,
      '--url',
      stack.urls.traces as string,
    ]);
    expect(printed.stdout).toMatch(/✗ error: UNAVAILABLE: PR 42's store-service canary/);
  });

  it("names the trace of the dev router's own answer too: PR 42 api canary down → one dev-router span", async () => {
    await stack.kill('api-service', 'pr-42');
    const { status, traceId } = await get(stack, '/api/route', '42');
    expect(status).toBe(503);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const trace = await traceWith(stack.urls.traces as string, traceId as string, 1);
    expect(trace.spans.map((span) => [span.service, span.name, span.status.code])).toEqual([
      ['dev-router', 'dev router 503 UNAVAILABLE', 'error'],
    ]);
    const printed = await runCanaryInProcess([
      'trace',
      traceId as string,
      '--url',
      stack.urls.traces as string,
    ]);
    expect(printed.stdout).toMatch(/✗ error: PR 42's api-service canary is declared but not running/);
  });
});

describe('OTEL_* still reaches an external collector', () => {
  let collector: TraceReceiver;
  beforeAll(async () => {
    collector = await startTraceReceiver({ port: 0 });
  });
  afterAll(() => collector?.close());

  const collectorEnv = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '100' });

  it('as well as the stack receiver (the default)', async () => {
    const stack = await startStack({ canaries: [], env: collectorEnv(), readyTimeoutMs: 15_000 });
    try {
      const { traceId } = await get(stack, '/api/route');
      await traceWith(stack.urls.traces as string, traceId as string, 3);
      await traceWith(collector.url, traceId as string, 3);
    } finally {
      await stack.stop();
    }
  });

  it('instead of it, with traces: false (npm start -- --no-traces)', async () => {
    const stack = await startStack({
      canaries: [],
      env: collectorEnv(),
      traces: false,
      readyTimeoutMs: 15_000,
    });
    try {
      expect(stack.urls.traces).toBeUndefined();
      const { traceId } = await get(stack, '/api/route');
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      await traceWith(collector.url, traceId as string, 3);
    } finally {
      await stack.stop();
    }
  });

  it('and with OTEL_SDK_DISABLED=true nothing is traced and no receiver runs', async () => {
    const stack = await startStack({
      canaries: [],
      env: { OTEL_SDK_DISABLED: 'true' },
      readyTimeoutMs: 15_000,
    });
    try {
      expect(stack.urls.traces).toBeUndefined();
      expect((await get(stack, '/api/route')).traceId).toBeNull();
    } finally {
      await stack.stop();
    }
  });
});
