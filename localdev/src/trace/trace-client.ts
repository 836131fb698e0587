/**
 * Reads traces from the local trace receiver (`npm start` runs it) for `pr-canary trace` and
 * `pr-canary traces`. A trace's spans arrive from several processes a moment after the response, so
 * `fetchTrace` waits (within `waitMs`) until the trace is there and no span's parent is missing.
 */
import { LOCAL_TRACES_URL } from '@pr-canary/contracts/local-stack';
import {
  layoutWaterfall,
  parseTrace,
  parseTraceList,
  TRACE_ID_PATTERN,
  type Trace,
  TraceFormatError,
  type TraceSummary,
} from '@pr-canary/traces/model';
import { readJsonCapped } from '../read-json';

export const DEFAULT_TRACES_URL = LOCAL_TRACES_URL;
const POLL_MS = 150;

export class TraceLookupError extends Error {
  override name = 'TraceLookupError';
}

export interface TraceLookup {
  /** The receiver's base URL. */
  url: string;
  timeoutMs: number;
  /** How long to wait for a trace that is not (completely) there yet. */
  waitMs: number;
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new TraceLookupError(
      `no trace receiver answers at ${new URL(url).origin}${cause ? ` (${cause})` : ''}: is the stack running (npm start), or on other ports (--url)?`,
    );
  }
  const body: unknown = await readJsonCapped(response, MAX_ANSWER_BYTES).catch(() => undefined);
  return { status: response.status, body };
}

/** The largest answer read: a trace of the receiver's most spans, with room to spare. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** Checks a receiver's answer with `parse`; what does not parse is not a pr-canary trace receiver's answer. */
function readAnswer<T>(parse: (body: unknown) => T, body: unknown, url: string): T {
  try {
    return parse(body);
  } catch (error) {
    if (!(error instanceof TraceFormatError)) throw error;
    throw new TraceLookupError(
      `what answers at ${new URL(url).origin} is not a pr-canary trace receiver (${error.message})`,
    );
  }
}

export async function listTraces(lookup: TraceLookup, limit: number): Promise<TraceSummary[]> {
  const url = `${lookup.url}/api/traces?limit=${limit}`;
  const { status, body } = await getJson(url, lookup.timeoutMs);
  if (status !== 200) throw new TraceLookupError(`the trace receiver answered HTTP ${status}`);
  return readAnswer(parseTraceList, body, url);
}

export async function fetchTrace(lookup: TraceLookup, traceId: string): Promise<Trace> {
  const id = traceId.trim().toLowerCase();
  if (!TRACE_ID_PATTERN.test(id))
    throw new TraceLookupError('a trace id is 32 hexadecimal digits (the X-Trace-Id response header)');
  const deadline = Date.now() + lookup.waitMs;
  for (;;) {
    const url = `${lookup.url}/api/traces/${id}`;
    const { status, body } = await getJson(url, lookup.timeoutMs);
    if (status !== 200 && status !== 404)
      throw new TraceLookupError(`the trace receiver answered HTTP ${status}`);
    const trace = status === 200 ? readAnswer(parseTrace, body, url) : undefined;
    if (trace && layoutWaterfall(trace).orphanCount === 0) return trace;
    if (Date.now() >= deadline) {
      if (trace) return trace;
      throw new TraceLookupError(
        `no trace ${id} at ${lookup.url}: not arrived (yet), older than the receiver keeps, or the request was not traced`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
