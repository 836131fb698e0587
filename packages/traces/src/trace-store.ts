import { CANARY_KEY_ATTRIBUTE, type Trace, type TraceSpan, type TraceSummary } from './model';

export interface TraceStoreOptions {
  /** How many traces are kept; the least recently updated one goes first. Default 300. */
  maxTraces?: number;
  /** Spans kept per trace; later ones are dropped (and counted). Default 1000. */
  maxSpansPerTrace?: number;
}

export const DEFAULT_MAX_TRACES = 300;
export const DEFAULT_MAX_SPANS_PER_TRACE = 1_000;

/**
 * The last few hundred traces, in memory and bounded: at most `maxTraces` traces of at most
 * `maxSpansPerTrace` spans each, so a busy stack never grows it. A trace counts as recent when a span
 * of it last arrived (its spans come from several processes, in several exports).
 */
export class TraceStore {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  /** Insertion order = least recently updated first. */
  readonly #traces = new Map<string, Map<string, TraceSpan>>();
  #droppedSpans = 0;

  constructor(options: TraceStoreOptions = {}) {
    this.maxTraces = options.maxTraces ?? DEFAULT_MAX_TRACES;
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? DEFAULT_MAX_SPANS_PER_TRACE;
  }

  /** Spans dropped because their trace was full. */
  get droppedSpans(): number {
    return this.#droppedSpans;
  }

  get size(): number {
    return this.#traces.size;
  }

  /** Keeps the spans; returns how many were dropped (their trace already held `maxSpansPerTrace`). */
  add(spans: readonly TraceSpan[]): number {
    const droppedBefore = this.#droppedSpans;
    for (const span of spans) {
      let trace = this.#traces.get(span.traceId);
      if (trace) this.#traces.delete(span.traceId);
      else trace = new Map();
      this.#traces.set(span.traceId, trace);
      if (trace.has(span.spanId) || trace.size < this.maxSpansPerTrace) trace.set(span.spanId, span);
      else this.#droppedSpans++;
    }
    for (const traceId of this.#traces.keys()) {
      if (this.#traces.size <= this.maxTraces) break;
      this.#traces.delete(traceId);
    }
    return this.#droppedSpans - droppedBefore;
  }

  get(traceId: string): Trace | undefined {
    const spans = this.#traces.get(traceId);
    return spans && { traceId, spans: [...spans.values()] };
  }

  /** Newest first (by the last span's arrival). */
  list(limit: number): TraceSummary[] {
    return [...this.#traces.keys()]
      .reverse()
      .slice(0, limit)
      .map((traceId) => summarize(traceId, [...(this.#traces.get(traceId)?.values() ?? [])]));
  }

  /** Every kept span, least recently updated trace first (tests read what arrived). */
  spans(): TraceSpan[] {
    return [...this.#traces.values()].flatMap((trace) => [...trace.values()]);
  }

  clear(): void {
    this.#traces.clear();
  }
}

function summarize(traceId: string, unordered: TraceSpan[]): TraceSummary {
  const spans = unordered.sort((a, b) => (BigInt(a.startUnixNano) < BigInt(b.startUnixNano) ? -1 : 1));
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
 */
function inPathOrder(spans: readonly TraceSpan[]): TraceSpan[] {
  const parentOf = new Map(spans.map((span) => [span.spanId, span.parentSpanId]));
  const depth = (span: TraceSpan): number => {
    let levels = 0;
    for (
      let parent = span.parentSpanId;
      parent !== null && parentOf.has(parent) && levels < spans.length;
      levels++
    )
      parent = parentOf.get(parent) ?? null;
    return levels;
  };
  const depths = new Map(spans.map((span) => [span, depth(span)]));
  return [...spans].sort((a, b) => (depths.get(a) ?? 0) - (depths.get(b) ?? 0));
}
