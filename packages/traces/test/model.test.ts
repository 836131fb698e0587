import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatWaterfallText,
  hopSpan,
  layoutWaterfall,
  parseTrace,
  type Trace,
  TraceFormatError,
  type TraceSpan,
} from '../src/model';
import { TraceStore } from '../src/trace-store';

const TRACE_ID = 'a'.repeat(32);
const BASE = 1_700_000_000_000_000_000n;

function span(
  spanId: string,
  parent: string | null,
  startMs: number,
  durationMs: number,
  extra: Partial<TraceSpan> = {},
): TraceSpan {
  return {
    traceId: TRACE_ID,
    spanId: spanId.padStart(16, '0'),
    parentSpanId: parent === null ? null : parent.padStart(16, '0'),
    name: `span ${spanId}`,
    kind: 'internal',
    service: 'api-service',
    version: '0.1.0',
    track: 'stable',
    startUnixNano: (BASE + BigInt(Math.round(startMs * 1e6))).toString(),
    durationMs,
    status: { code: 'unset', message: null },
    attributes: {},
    events: [],
    ...extra,
  };
}

/** api server → grpc client → store server → dynamodb client, arriving in any order. */
const TRACE: Trace = {
  traceId: TRACE_ID,
  spans: [
    span('4', '3', 3, 4, { name: 'DynamoDB.GetItem', kind: 'client', service: 'store-service' }),
    span('2', '1', 1, 9, { name: 'store.v1.ItemsService/GetItem', kind: 'client' }),
    span('1', null, 0, 12, {
      name: 'GET /api/items/:id',
      kind: 'server',
      track: 'pr-42',
      attributes: { 'canary.key': '42', 'canary.track': 'pr-42', 'http.route': '/api/items/:id' },
    }),
    span('3', '2', 2, 6.5, {
      name: 'store.v1.ItemsService/GetItem',
      kind: 'server',
      service: 'store-service',
      status: { code: 'error', message: 'table gone' },
    }),
  ],
};

describe('layoutWaterfall', () => {
  it('orders parents before children with depth and offsets from the first start', () => {
    const waterfall = layoutWaterfall(TRACE);
    expect(
      waterfall.rows.map((row) => [row.span.spanId.replace(/^0+/, ''), row.depth, row.offsetMs]),
    ).toEqual([
      ['1', 0, 0],
      ['2', 1, 1],
      ['3', 2, 2],
      ['4', 3, 3],
    ]);
    expect(waterfall).toMatchObject({
      totalMs: 12,
      services: ['api-service', 'store-service'],
      errorCount: 1,
      orphanCount: 0,
    });
    expect(hopSpan(waterfall, 'store-service')?.spanId).toBe('0000000000000003');
  });

  it('shows a span whose parent has not arrived at the top level and counts it', () => {
    const waterfall = layoutWaterfall({
      traceId: TRACE_ID,
      spans: TRACE.spans.filter((s) => s.spanId !== '0000000000000002'),
    });
    expect(waterfall.orphanCount).toBe(1);
    expect(waterfall.rows.map((row) => row.depth)).toEqual([0, 0, 1]);
  });

  it('survives a parent cycle from a malformed sender without losing spans', () => {
    const cyclic = { traceId: TRACE_ID, spans: [span('1', '2', 0, 1), span('2', '1', 0, 1)] };
    expect(layoutWaterfall(cyclic).rows).toHaveLength(2);
  });
});

describe('formatWaterfallText', () => {
  it('prints one line per span with service, track, version, bar, duration, status and canary attributes', () => {
    const text = formatWaterfallText(TRACE, { barWidth: 12 });
    const lines = text.split('\n');
    expect(lines[0]).toBe(`trace ${TRACE_ID} · 4 spans · api-service, store-service · 12.0 ms · 1 error`);
    expect(lines[2]).toMatch(
      /^GET \/api\/items\/:id +api-service +pr-42 +0\.1\.0 +█{12} +12\.0 ms +ok {2}canary\.key=42 canary\.track=pr-42$/,
    );
    expect(lines[4]).toMatch(
      /^ {4}store\.v1\.ItemsService\/GetItem +store-service +stable .* ✗ error: table gone$/,
    );
    expect(lines[5]).toMatch(/·{3}█{4}·{5} +4\.00 ms/);
  });
});

describe('parseTrace', () => {
  it('accepts what the receiver serves and refuses anything else', () => {
    expect(parseTrace(JSON.parse(JSON.stringify(TRACE)))).toEqual(TRACE);
    expect(() => parseTrace({ traceId: 'x', spans: [] })).toThrow(TraceFormatError);
    expect(() => parseTrace({ traceId: TRACE_ID, spans: [{ ...TRACE.spans[0], kind: 'weird' }] })).toThrow(
      'span.kind is unknown',
    );
  });
});

describe('formatDuration', () => {
  it('picks a readable unit', () => {
    expect([0.25, 4, 12.34, 250, 1500].map(formatDuration)).toEqual([
      '250 µs',
      '4.00 ms',
      '12.3 ms',
      '250 ms',
      '1.50 s',
    ]);
  });
});

describe('TraceStore summaries', () => {
  it('lists services callers first, even when a callee’s clock puts its span before its caller’s', () => {
    const store = new TraceStore();
    // Two processes, two clocks: the store's span is stamped 1 ms before the api span that called it.
    store.add([span('2', '1', 0, 5, { service: 'store-service', kind: 'server' })]);
    store.add([span('1', null, 1, 9, { kind: 'server' })]);
    expect(store.list(10)[0]?.services).toEqual(['api-service', 'store-service']);
  });
});
