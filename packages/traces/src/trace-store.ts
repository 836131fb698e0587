import { CANARY_KEY_ATTRIBUTE, type Trace, type TraceSpan, type TraceSummary } from './model';

export interface TraceStoreOptions {
  /** How many traces are kept; the least recently updated one goes first. Default 300. */
  maxTraces?: number;
  /** Spans kept per trace; later ones are dropped (and counted). Default 1000. */
  maxSpansPerTrace?: number;
  /**
   * About how much memory the kept spans may take, in bytes (their text at two bytes a character,
   * plus a fixed overhead per span, attribute and event); the least recently updated traces go first
   * once it is over. Default 64 MiB: a few hundred ordinary traces take well under 1 MiB, but the
   * counts alone allowed 300 traces of 1000 spans of 64 attributes of 1000 characters each.
   */
  maxBytes?: number;
}

export const DEFAULT_MAX_TRACES = 300;
export const DEFAULT_MAX_SPANS_PER_TRACE = 1_000;
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** A kept trace: its spans by id, about how many bytes they take, and its summary until it changes. */
interface KeptTrace {
  spans: Map<string, TraceSpan>;
  bytes: number;
  summary: TraceSummary | undefined;
}

/**
 * The last few hundred traces, in memory and bounded: at most `maxTraces` traces of at most
 * `maxSpansPerTrace` spans each, and at most about `maxBytes` in all, so a busy stack — or a client
 * sending huge spans — never grows it. A trace counts as recent when a span of it last arrived (its
 * spans come from several processes, in several exports).
 */
export class TraceStore {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  readonly maxBytes: number;
  /** Insertion order = least recently updated first. */
  readonly #traces = new Map<string, KeptTrace>();
  #bytes = 0;
  #droppedSpans = 0;

  constructor(options: TraceStoreOptions = {}) {
    this.maxTraces = options.maxTraces ?? DEFAULT_MAX_TRACES;
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? DEFAULT_MAX_SPANS_PER_TRACE;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /** Spans dropped because their trace was full. */
  get droppedSpans(): number {
    return this.#droppedSpans;
  }

  get size(): number {
    return this.#traces.size;
  }

  /** About how many bytes the kept spans take (see `maxBytes`). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Keeps the spans; returns how many were dropped (their trace already held `maxSpansPerTrace`). */
  add(spans: readonly TraceSpan[]): number {
    const droppedBefore = this.#droppedSpans;
    for (const span of spans) {
      let trace = this.#traces.get(span.traceId);
      if (trace) this.#traces.delete(span.traceId);
      else trace = { spans: new Map(), bytes: 0, summary: undefined };
      this.#traces.set(span.traceId, trace);
      const replaced = trace.spans.get(span.spanId);
      if (replaced === undefined && trace.spans.size >= this.maxSpansPerTrace) {
        this.#droppedSpans++;
        continue;
      }
      const change = spanBytes(span) - (replaced ? spanBytes(replaced) : 0);
      trace.spans.set(span.spanId, span);
      trace.bytes += change;
      trace.summary = undefined;
      this.#bytes += change;
    }
    for (const [traceId, trace] of this.#traces) {
      if (this.#traces.size <= this.maxTraces && this.#bytes <= this.maxBytes) break;
      this.#traces.delete(traceId);
      this.#bytes -= trace.bytes;
    }
    return this.#droppedSpans - droppedBefore;
  }

  get(traceId: string): Trace | undefined {
    const trace = this.#traces.get(traceId);
    return trace && { traceId, spans: [...trace.spans.values()] };
  }

  /** Newest first (by the last span's arrival). A trace is summarized once per change, not per call. */
  list(limit: number): TraceSummary[] {
    const newestFirst = [...this.#traces].reverse().slice(0, limit);
    return newestFirst.map(([traceId, trace]) => {
      trace.summary ??= summarize(traceId, [...trace.spans.values()]);
      return trace.summary;
    });
  }

  /** Every kept span, least recently updated trace first (tests read what arrived). */
  spans(): TraceSpan[] {
    return [...this.#traces.values()].flatMap((trace) => [...trace.spans.values()]);
  }

  clear(): void {
    this.#traces.clear();
    this.#bytes = 0;
  }
}

/** Bytes of bookkeeping per span, attribute and event on top of their text (a rough, fixed figure). */
const SPAN_OVERHEAD_BYTES = 400;
const ENTRY_OVERHEAD_BYTES = 40;

function textBytes(value: unknown): number {
  return typeof value === 'string' ? 2 * value.length : 8;
}

function attributesBytes(attributes: Record<string, unknown>): number {
  let bytes = 0;
  for (const key in attributes) bytes += ENTRY_OVERHEAD_BYTES + textBytes(key) + textBytes(attributes[key]);
  return bytes;
}

/** About how many bytes `span` takes in memory: its text, and a fixed overhead per part. */
export function spanBytes(span: TraceSpan): number {
  let bytes =
    SPAN_OVERHEAD_BYTES + textBytes(span.name) + textBytes(span.service) + attributesBytes(span.attributes);
  bytes += textBytes(span.version) + textBytes(span.status.message);
  for (const event of span.events)
    bytes += ENTRY_OVERHEAD_BYTES + textBytes(event.name) + attributesBytes(event.attributes);
  return bytes;
}

/** Compares two decimal strings of non-negative integers without making numbers of them. */
function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function summarize(traceId: string, unordered: TraceSpan[]): TraceSummary {
  const spans = unordered.sort((a, b) => compareDecimal(a.startUnixNano, b.startUnixNano));
  const ids = new Set(spans.map((span) => span.spanId));
  const root = spans.find((span) => span.parentSpanId === null || !ids.has(span.parentSpanId));
  let start: bigint | undefined;
  let end: bigint | undefined;
  for (const span of spans) {
    const from = BigInt(span.startUnixNano);
    const to = from + BigInt(Math.round(span.durationMs * 1e6));
    if (start === undefined || from < start) start = from;
    if (end === undefined || to > end) end = to;
  }
  const key = root?.attributes[CANARY_KEY_ATTRIBUTE];
  return {
    traceId,
    root: root ? { service: root.service, name: root.name, track: root.track } : null,
    startUnixNano: (start ?? 0n).toString(),
    durationMs: start === undefined || end === undefined ? 0 : Number(end - start) / 1e6,
    spanCount: spans.length,
    errorCount: spans.filter((span) => span.status.code === 'error').length,
    services: [...new Set(inPathOrder(spans).map((span) => span.service))],
    canaryKey: key === undefined ? null : String(key),
  };
}

/**
 * Callers before callees: by depth in the span tree, then by start. Start times alone cannot say it —
 * each process stamps its spans with its own clock, so a child may seem to start before its parent.
 * Each span's depth is worked out once (a chain of 1000 spans used to be walked from every span).
 */
function inPathOrder(spans: readonly TraceSpan[]): TraceSpan[] {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const depths = new Map<string, number>();
  const depthOf = (span: TraceSpan): number => {
    const path: TraceSpan[] = [];
    const onPath = new Set<string>();
    let current: TraceSpan | undefined = span;
    let base = 0;
    while (current) {
      const known = depths.get(current.spanId);
      if (known !== undefined) {
        base = known + 1;
        break;
      }
      if (onPath.has(current.spanId)) break; // a cycle (a malformed export): its spans count from 0
      onPath.add(current.spanId);
      path.push(current);
      current = current.parentSpanId === null ? undefined : byId.get(current.parentSpanId);
    }
    for (const [index, onTheWay] of path.reverse().entries()) depths.set(onTheWay.spanId, base + index);
    return depths.get(span.spanId) ?? 0;
  };
  for (const span of spans) depthOf(span);
  return [...spans].sort((a, b) => (depths.get(a.spanId) ?? 0) - (depths.get(b.spanId) ?? 0));
}
