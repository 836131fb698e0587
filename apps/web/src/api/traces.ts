/**
 * Reads one trace from the trace receiver (`GET <tracesUrl>/api/traces/<id>`). Spans reach the
 * receiver from every process a moment after the response (each exports in small batches). Until the
 * trace is there, the receiver holds the read (`?waitMs=`) rather than answering 404s a page would log
 * as console errors; then this polls until the trace is whole — a root, no span whose parent is
 * missing, and a server span for every hop the response's X-Served-By named — or the wait is over,
 * and returns what is there.
 */
import {
  layoutWaterfall,
  MAX_TRACE_WAIT_MS,
  parseTrace,
  type Trace,
  TraceFormatError,
} from '@pr-canary/traces/model';
import { ApiError } from './errors';

export interface TraceLoadOptions {
  tracesUrl: string;
  traceId: string;
  /** Services that served a hop: each must have its server span before the trace counts as whole. */
  expectServices: readonly string[];
  /** Overall wait for a trace that is not whole yet. Default 6 s. */
  waitMs?: number;
  pollMs?: number;
  fetch?: typeof fetch;
  /** Stops polling (a newer request's trace is wanted now). */
  signal?: AbortSignal;
}

export interface LoadedTrace {
  trace: Trace;
  /** False when the wait ended with spans still missing. */
  whole: boolean;
}

export function isWhole(trace: Trace, expectServices: readonly string[]): boolean {
  const waterfall = layoutWaterfall(trace);
  if (waterfall.rows.length === 0 || waterfall.orphanCount > 0) return false;
  return expectServices.every((service) =>
    trace.spans.some((span) => span.service === service && span.kind === 'server'),
  );
}

export async function loadTrace(options: TraceLoadOptions): Promise<LoadedTrace> {
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const deadline = Date.now() + (options.waitMs ?? 6_000);
  const pollMs = options.pollMs ?? 200;
  const url = `${options.tracesUrl}/api/traces/${options.traceId}`;
  let seen = false;
  for (;;) {
    options.signal?.throwIfAborted();
    // Not there yet: the receiver waits for it, up to what is left of ours (at most its 10 s).
    const waitMs = seen ? 0 : Math.max(0, Math.min(MAX_TRACE_WAIT_MS, deadline - Date.now()));
    let response: Response;
    try {
      response = await fetchFn(waitMs > 0 ? `${url}?waitMs=${waitMs}` : url, {
        headers: { accept: 'application/json' },
        mode: 'cors',
        cache: 'no-store',
        signal: options.signal ?? null,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError(
        0,
        'TRACES_UNREACHABLE',
        `Could not reach the trace receiver at ${options.tracesUrl}. Is the local stack (npm start) running?`,
      );
    }
    let trace: Trace | undefined;
    if (response.status === 200) {
      try {
        trace = parseTrace(await response.json());
      } catch (error) {
        const what = error instanceof TraceFormatError ? error.message : 'invalid JSON';
        throw new ApiError(0, 'BAD_RESPONSE', `The trace receiver sent an unexpected trace: ${what}.`);
      }
      seen = true;
      if (isWhole(trace, options.expectServices)) return { trace, whole: true };
    } else if (response.status !== 404) {
      await response.body?.cancel();
      throw new ApiError(
        response.status,
        'TRACES_FAILED',
        `The trace receiver answered HTTP ${response.status}.`,
      );
    } else await response.body?.cancel();
    if (Date.now() >= deadline) {
      if (trace) return { trace, whole: false };
      throw new ApiError(
        404,
        'TRACE_NOT_FOUND',
        `Trace ${options.traceId} has not reached the trace receiver: the services may not export to it (tracing off, or OTEL_* pointing elsewhere).`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
