/**
 * What the trace receiver serves and what the web UI and `pr-canary trace` draw: a trace as a list of
 * spans, each already named by its service, track and version, and the waterfall laid out from it.
 * Pure (no Node imports): the browser bundles this module.
 */
import {
  CANARY_KEY_ATTRIBUTE,
  CANARY_TRACK_ATTRIBUTE,
  TRACE_ID_PATTERN,
} from '@pr-canary/contracts/canary-key';
import { replaceUnsafeCharacters } from '@pr-canary/contracts/unsafe-text';

/** A trace id as the `X-Trace-Id` response header carries it (contracts' canary-key). */
export { TRACE_ID_PATTERN };
/** The longest a trace read waits for a trace that has not arrived (`GET /api/traces/<id>?waitMs=`). */
export const MAX_TRACE_WAIT_MS = 10_000;
export const SPAN_ID_PATTERN = /^[0-9a-f]{16}$/;

/** Span attributes that say how a span relates to the canary (stamped by the services and the dev router). */
export { CANARY_KEY_ATTRIBUTE, CANARY_TRACK_ATTRIBUTE };

/** Span kinds in OTLP's order (its SpanKind numbers 0-5 index this list). */
export const SPAN_KIND_NAMES = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
] as const;
export type SpanKindName = (typeof SPAN_KIND_NAMES)[number];
/** Span status codes in OTLP's order (its StatusCode numbers 0-2 index this list). */
export const SPAN_STATUS_NAMES = ['unset', 'ok', 'error'] as const;
export type SpanStatusName = (typeof SPAN_STATUS_NAMES)[number];
export type AttributeValue = string | number | boolean;

export interface SpanEvent {
  name: string;
  /** Milliseconds after the span's start. */
  offsetMs: number;
  attributes: Record<string, AttributeValue>;
}

export interface TraceSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKindName;
  /** `service.name` of the process that made the span. */
  service: string;
  /** `service.version`, when the process reported one. */
  version: string | null;
  /** `canary.track` (`stable` / `pr-<N>`) of the instance that made the span, when known. */
  track: string | null;
  /** Start as Unix nanoseconds, a decimal string (a number would lose precision). */
  startUnixNano: string;
  durationMs: number;
  status: { code: SpanStatusName; message: string | null };
  attributes: Record<string, AttributeValue>;
  events: SpanEvent[];
}

export interface Trace {
  traceId: string;
  spans: TraceSpan[];
}

export interface TraceSummary {
  traceId: string;
  /** The span without a parent in this trace (the request's entry), when it arrived. */
  root: { service: string; name: string; track: string | null } | null;
  startUnixNano: string;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  services: string[];
  /** `canary.key` of the root span (a PR number, `absent` or `invalid`), when stamped. */
  canaryKey: string | null;
}

export class TraceFormatError extends Error {
  override name = 'TraceFormatError';
}

// ---------------------------------------------------------------------------------------------------
// Reading the receiver's answers (the web UI and the CLI check what they are given).

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TraceFormatError(`${what} is not an object`);
  return value as Json;
}

/** A string field, its unsafe characters replaced: what a receiver answers reaches a page or a terminal. */
function text(fields: Json, key: string, what: string): string {
  const value = fields[key];
  if (typeof value !== 'string') throw new TraceFormatError(`${what}.${key} is not a string`);
  return replaceUnsafeCharacters(value);
}

function nullableText(fields: Json, key: string, what: string): string | null {
  return fields[key] === null || fields[key] === undefined ? null : text(fields, key, what);
}

function finite(fields: Json, key: string, what: string): number {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TraceFormatError(`${what}.${key} is not a number`);
  return value;
}

function matching(fields: Json, key: string, what: string, pattern: RegExp): string {
  const value = text(fields, key, what);
  if (!pattern.test(value)) throw new TraceFormatError(`${what}.${key} is malformed`);
  return value;
}

function oneOf<T extends string>(fields: Json, key: string, what: string, allowed: readonly T[]): T {
  const value = text(fields, key, what);
  if (!(allowed as readonly string[]).includes(value))
    throw new TraceFormatError(`${what}.${key} is unknown`);
  return value as T;
}

function attributes(value: unknown, what: string): Record<string, AttributeValue> {
  const fields = object(value, what);
  const result: Record<string, AttributeValue> = {};
  for (const [key, item] of Object.entries(fields)) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean')
      throw new TraceFormatError(
        `${what}.${replaceUnsafeCharacters(key)} is not a string, number or boolean`,
      );
    result[replaceUnsafeCharacters(key)] = typeof item === 'string' ? replaceUnsafeCharacters(item) : item;
  }
  return result;
}

function parseSpan(value: unknown): TraceSpan {
  const fields = object(value, 'span');
  const status = object(fields.status, 'span.status');
  if (!Array.isArray(fields.events)) throw new TraceFormatError('span.events is not an array');
  return {
    traceId: matching(fields, 'traceId', 'span', TRACE_ID_PATTERN),
    spanId: matching(fields, 'spanId', 'span', SPAN_ID_PATTERN),
    parentSpanId:
      fields.parentSpanId === null ? null : matching(fields, 'parentSpanId', 'span', SPAN_ID_PATTERN),
    name: text(fields, 'name', 'span'),
    kind: oneOf(fields, 'kind', 'span', SPAN_KIND_NAMES),
    service: text(fields, 'service', 'span'),
    version: nullableText(fields, 'version', 'span'),
    track: nullableText(fields, 'track', 'span'),
    startUnixNano: matching(fields, 'startUnixNano', 'span', /^[0-9]{1,20}$/),
    durationMs: finite(fields, 'durationMs', 'span'),
    status: {
      code: oneOf(status, 'code', 'span.status', SPAN_STATUS_NAMES),
      message: nullableText(status, 'message', 'span.status'),
    },
    attributes: attributes(fields.attributes, 'span.attributes'),
    events: fields.events.map((event) => {
      const eventFields = object(event, 'span.events[]');
      return {
        name: text(eventFields, 'name', 'span.events[]'),
        offsetMs: finite(eventFields, 'offsetMs', 'span.events[]'),
        attributes: attributes(eventFields.attributes, 'span.events[].attributes'),
      };
    }),
  };
}

/** Checks a `GET /api/traces/<id>` body. */
export function parseTrace(value: unknown): Trace {
  const fields = object(value, 'trace');
  if (!Array.isArray(fields.spans)) throw new TraceFormatError('trace.spans is not an array');
  return {
    traceId: matching(fields, 'traceId', 'trace', TRACE_ID_PATTERN),
    spans: fields.spans.map(parseSpan),
  };
}

/** Checks a `GET /api/traces` body. */
export function parseTraceList(value: unknown): TraceSummary[] {
  const fields = object(value, 'trace list');
  if (!Array.isArray(fields.traces)) throw new TraceFormatError('trace list.traces is not an array');
  return fields.traces.map((item): TraceSummary => {
    const summary = object(item, 'trace summary');
    const root = summary.root === null ? null : object(summary.root, 'trace summary.root');
    if (!Array.isArray(summary.services) || !summary.services.every((name) => typeof name === 'string'))
      throw new TraceFormatError('trace summary.services is not a list of names');
    return {
      traceId: matching(summary, 'traceId', 'trace summary', TRACE_ID_PATTERN),
      root: root && {
        service: text(root, 'service', 'trace summary.root'),
        name: text(root, 'name', 'trace summary.root'),
        track: nullableText(root, 'track', 'trace summary.root'),
      },
      startUnixNano: matching(summary, 'startUnixNano', 'trace summary', /^[0-9]{1,20}$/),
      durationMs: finite(summary, 'durationMs', 'trace summary'),
      spanCount: finite(summary, 'spanCount', 'trace summary'),
      errorCount: finite(summary, 'errorCount', 'trace summary'),
      services: summary.services as string[],
      canaryKey: nullableText(summary, 'canaryKey', 'trace summary'),
    };
  });
}

// ---------------------------------------------------------------------------------------------------
// The waterfall: one row per span, parents before children, siblings by start time.

export interface WaterfallRow {
  span: TraceSpan;
  /** Nesting under the root (0 for a root; a span whose parent never arrived is also a root). */
  depth: number;
  /** Milliseconds from the trace's first start to this span's start. */
  offsetMs: number;
}

export interface Waterfall {
  traceId: string;
  rows: WaterfallRow[];
  /** From the first start to the last end, in milliseconds. */
  totalMs: number;
  services: string[];
  errorCount: number;
  /** Spans whose parent is not (yet) in the trace: still arriving, or sent by a process not traced. */
  orphanCount: number;
}

/** Milliseconds between two Unix-nanosecond strings, exact to the microsecond. */
function millisBetween(fromNano: string, toNano: string): number {
  return Number(BigInt(toNano) - BigInt(fromNano)) / 1e6;
}

export function layoutWaterfall(trace: Trace): Waterfall {
  const spans = trace.spans;
  if (spans.length === 0)
    return { traceId: trace.traceId, rows: [], totalMs: 0, services: [], errorCount: 0, orphanCount: 0 };
  const first = spans.reduce(
    (min, span) => (BigInt(span.startUnixNano) < BigInt(min) ? span.startUnixNano : min),
    spans[0]?.startUnixNano ?? '0',
  );
  const offset = (span: TraceSpan) => millisBetween(first, span.startUnixNano);
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string | null, TraceSpan[]>();
  let orphanCount = 0;
  for (const span of spans) {
    const parent = span.parentSpanId !== null && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    if (span.parentSpanId !== null && parent === null) orphanCount++;
    const list = children.get(parent) ?? [];
    list.push(span);
    children.set(parent, list);
  }
  const byStart = (a: TraceSpan, b: TraceSpan) => offset(a) - offset(b) || a.name.localeCompare(b.name);
  const rows: WaterfallRow[] = [];
  const visit = (span: TraceSpan, depth: number, seen: Set<string>) => {
    if (seen.has(span.spanId)) return;
    seen.add(span.spanId);
    rows.push({ span, depth, offsetMs: offset(span) });
    for (const child of (children.get(span.spanId) ?? []).sort(byStart)) visit(child, depth + 1, seen);
  };
  const seen = new Set<string>();
  for (const root of (children.get(null) ?? []).sort(byStart)) visit(root, 0, seen);
  // A parent cycle (a malformed sender) leaves spans unvisited: show them as roots rather than lose them.
  for (const span of [...spans].sort(byStart)) if (!seen.has(span.spanId)) visit(span, 0, seen);
  const totalMs = Math.max(...rows.map((row) => row.offsetMs + row.span.durationMs));
  return {
    traceId: trace.traceId,
    rows,
    totalMs,
    services: [...new Set(rows.map((row) => row.span.service))],
    errorCount: spans.filter((span) => span.status.code === 'error').length,
    orphanCount,
  };
}

/** The span that served `service`'s hop: its server span (the first, if it served several calls). */
export function hopSpan(waterfall: Waterfall, service: string): TraceSpan | undefined {
  return waterfall.rows.find((row) => row.span.service === service && row.span.kind === 'server')?.span;
}

/** The canary attributes of a span, in a fixed order, for display. */
export function canaryAttributes(span: TraceSpan): [string, string][] {
  return Object.entries(span.attributes)
    .filter(([key]) => key.startsWith('canary.'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => [key, String(value)]);
}

/** "12.3 ms", "850 µs", "1.24 s". */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** What a span ended with, in a few words: `✗ error: …`, `HTTP 404`, `gRPC NOT_FOUND`, or `ok`. */
export function spanOutcome(span: TraceSpan): string {
  const error = spanError(span);
  if (error !== null) return `✗ error: ${error}`;
  const http = span.attributes['http.response.status_code'];
  if (typeof http === 'number') return `HTTP ${http}`;
  const grpc = span.attributes['rpc.grpc.status_code'];
  if (typeof grpc === 'number') return `gRPC ${GRPC_STATUS_NAMES[grpc] ?? grpc}`;
  return 'ok';
}

/** The error text of a span: its status message, else the first exception event's message. */
export function spanError(span: TraceSpan): string | null {
  if (span.status.code !== 'error') return null;
  const exception = span.events.find((event) => event.name === 'exception');
  const message = exception?.attributes['exception.message'];
  return span.status.message ?? (message === undefined ? 'error' : String(message));
}

// ---------------------------------------------------------------------------------------------------
// The same waterfall as text, for a terminal (`pr-canary trace <id>`).

export interface TextWaterfallOptions {
  /** Characters for the bar column. Default 30. */
  barWidth?: number;
}

function pad(value: string, width: number): string {
  return value.length >= width ? value : value + ' '.repeat(width - value.length);
}

function cut(value: string, width: number): string {
  return value.length > width ? `${value.slice(0, width - 1)}…` : value;
}

function bar(row: WaterfallRow, totalMs: number, width: number): string {
  if (totalMs <= 0) return '█'.repeat(width);
  const start = Math.min(width - 1, Math.floor((row.offsetMs / totalMs) * width));
  const length = Math.max(1, Math.round((row.span.durationMs / totalMs) * width));
  const end = Math.min(width, start + length);
  return `${'·'.repeat(start)}${'█'.repeat(end - start)}${'·'.repeat(width - end)}`;
}

export function formatWaterfallText(trace: Trace, options: TextWaterfallOptions = {}): string {
  const waterfall = layoutWaterfall(trace);
  const width = options.barWidth ?? 30;
  const head = `trace ${trace.traceId} · ${waterfall.rows.length} span${waterfall.rows.length === 1 ? '' : 's'} · ${waterfall.services.join(', ') || 'no services'} · ${formatDuration(waterfall.totalMs)}${waterfall.errorCount > 0 ? ` · ${waterfall.errorCount} error${waterfall.errorCount === 1 ? '' : 's'}` : ''}`;
  if (waterfall.rows.length === 0) return `${head}\n(no spans yet)`;
  const columns = waterfall.rows.map((row) => ({
    span: `${'  '.repeat(row.depth)}${cut(row.span.name, 48)}`,
    service: row.span.service,
    track: row.span.track ?? '-',
    version: row.span.version ?? '-',
    row,
  }));
  const spanWidth = Math.max(4, ...columns.map((column) => column.span.length));
  const serviceWidth = Math.max(7, ...columns.map((column) => column.service.length));
  const trackWidth = Math.max(5, ...columns.map((column) => column.track.length));
  const versionWidth = Math.max(7, ...columns.map((column) => column.version.length));
  const header = [
    pad('span', spanWidth),
    pad('service', serviceWidth),
    pad('track', trackWidth),
    pad('version', versionWidth),
    pad(`0 → ${formatDuration(waterfall.totalMs)}`, width),
    pad('duration', 9),
    'status',
  ].join('  ');
  const lines = columns.map(({ span, service, track, version, row }) => {
    const status = spanOutcome(row.span);
    const canary = canaryAttributes(row.span)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
    return [
      pad(span, spanWidth),
      pad(service, serviceWidth),
      pad(track, trackWidth),
      pad(version, versionWidth),
      bar(row, waterfall.totalMs, width),
      pad(formatDuration(row.span.durationMs), 9),
      [status, canary].filter((part) => part.length > 0).join('  '),
    ]
      .join('  ')
      .trimEnd();
  });
  const notes =
    waterfall.orphanCount > 0
      ? [`(${waterfall.orphanCount} span(s) whose parent has not arrived are shown at the top level)`]
      : [];
  return [head, header, ...lines, ...notes].join('\n');
}
