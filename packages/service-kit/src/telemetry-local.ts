/**
 * The span processor that feeds the local stack's trace receiver (`PR_CANARY_TRACES_URL`), in place of
 * the SDK's BatchSpanProcessor + OTLP/HTTP JSON exporter. It sends the same OTLP/HTTP JSON, but each
 * span is encoded as it ends, into bytes outside the heap (telemetry-otlp-json.ts), and the span
 * object is let go at once. The batching processor kept every span's object graph alive until the
 * export (up to 200 ms: long enough to be copied by young-generation collections and promoted), and
 * the JSON exporter built a second object tree per span before stringifying it. Measured on the api
 * serving `GET /api/items/:id` (Nov 2026, v8.GCProfiler): tracing added 25 KB of allocation per
 * request with the SDK's pair, 8 KB with this one (untraced: 87 KB), and less promoted to the old
 * generation; the store, 23 KB → 13 KB (untraced: 280 KB).
 *
 * When it sends: a span that ends after a quiet spell goes out within `delayMs` (50 ms: time for the
 * rest of its request's spans to end), so the waterfall of a request a developer just made is there at
 * once; under load, exports start at most every `minIntervalMs` (500 ms) with everything waiting, or
 * as soon as `maxBatch` spans are waiting. Each export costs both sides a whole HTTP request (on a
 * 2-core VM, mostly socket syscalls: the receiver spent half of its time per export writing the
 * `{}` answer), so fewer, larger exports are cheaper per span than one every 200 ms.
 *
 * Same contract as the batching processor otherwise: sampled spans only, at most `maxQueue` waiting
 * (later ones are dropped and counted), one export in flight at a time, resources with pending async attributes awaited, exports made with tracing
 * suppressed. A failed export is dropped (no retry: the receiver keeps recent traces in memory, and a
 * stale batch is worth less than a quick shutdown) and reported to the OTel diag logger, silent
 * unless `OTEL_LOG_LEVEL` is set, like every other export failure.
 */
import { Agent, type IncomingMessage, request } from 'node:http';
import { type Context, context, diag, TraceFlags } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { addEncodedSpan, type EncodedSpans, encodeExportRequest } from './telemetry-otlp-json';

export interface LocalExportOptions {
  /** The receiver's OTLP/HTTP traces URL (http or https). */
  url: string;
  /**
   * How long a span that ends after a quiet spell waits before it is sent (with whatever ended
   * meanwhile). Default 50 ms: the receiver feeds an interactive view (the route inspector's waterfall).
   */
  delayMs?: number;
  /** The least time between the starts of two exports (unless a batch is full). Default 500 ms. */
  minIntervalMs?: number;
  /** Sent at once when this many are waiting. Default 2048. */
  maxBatch?: number;
  /** Spans waiting beyond this are dropped. Default 4096. */
  maxQueue?: number;
  /** An export still unanswered after this fails. Default 5 s. */
  timeoutMs?: number;
}

export class LocalExportProcessor implements SpanProcessor {
  readonly #url: URL;
  readonly #delayMs: number;
  readonly #minIntervalMs: number;
  readonly #maxBatch: number;
  readonly #maxQueue: number;
  readonly #timeoutMs: number;
  #pending: EncodedSpans = new Map();
  #pendingCount = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #agent: Agent | undefined;
  /** When the last export started (performance.now()); none yet: long ago. */
  #lastExportAt = Number.NEGATIVE_INFINITY;
  #droppedSpans = 0;
  #shutDown = false;

  constructor(options: LocalExportOptions) {
    this.#url = new URL(options.url);
    this.#delayMs = options.delayMs ?? 50;
    this.#minIntervalMs = options.minIntervalMs ?? 500;
    this.#maxBatch = options.maxBatch ?? 2048;
    this.#maxQueue = options.maxQueue ?? 4096;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** Spans dropped because the queue was full. */
  get droppedSpans(): number {
    return this.#droppedSpans;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#shutDown || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#pendingCount >= this.#maxQueue) {
      if (this.#droppedSpans++ === 0)
        diag.warn('local trace export: the queue is full, spans are dropped until the receiver catches up');
      return;
    }
    addEncodedSpan(this.#pending, span);
    this.#pendingCount++;
    if (this.#pendingCount >= this.#maxBatch) this.#sendSoon(0);
    else this.#sendSoon(this.#waitMs());
  }

  /** How long what is waiting now waits: the short delay, or until the interval since the last export is over. */
  #waitMs(): number {
    return exportWaitMs(this.#delayMs, this.#minIntervalMs, performance.now() - this.#lastExportAt);
  }

  /** Sends what is waiting now, and resolves once that export (and any under way) has finished. */
  async forceFlush(): Promise<void> {
    this.#clearTimer();
    if (this.#inFlight) await this.#inFlight;
    this.#send();
    if (this.#inFlight) await this.#inFlight;
  }

  /** Takes no more spans, sends every waiting one, and closes the connection. */
  async shutdown(): Promise<void> {
    if (this.#shutDown) return;
    this.#shutDown = true;
    this.#clearTimer();
    while (this.#inFlight || this.#pendingCount > 0) {
      this.#send();
      await this.#inFlight;
    }
    this.#agent?.destroy();
  }

  #sendSoon(delayMs: number): void {
    if (this.#inFlight) return; // sent when the export under way finishes
    if (delayMs === 0) {
      this.#clearTimer();
      this.#send();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#send();
      }, delayMs);
      this.#timer.unref();
    }
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #send(): void {
    if (this.#inFlight || this.#pendingCount === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#pendingCount = 0;
    this.#lastExportAt = performance.now();
    this.#inFlight = this.#export(batch)
      .catch((error: unknown) => diag.warn('local trace export failed', error))
      .finally(() => {
        this.#inFlight = undefined;
        if (this.#pendingCount >= this.#maxBatch) this.#sendSoon(0);
        else if (this.#pendingCount > 0) this.#sendSoon(this.#waitMs());
      });
  }

  async #export(batch: EncodedSpans): Promise<void> {
    const waiting: Promise<void>[] = [];
    for (const resource of batch.keys()) {
      const pending = (resource as Resource).asyncAttributesPending && resource.waitForAsyncAttributes;
      if (pending) waiting.push(resource.waitForAsyncAttributes?.() ?? Promise.resolve());
    }
    if (waiting.length > 0) await Promise.all(waiting);
    const body = encodeExportRequest(batch);
    // Whatever the export itself does (an instrumented http module) makes no spans.
    await context.with(suppressTracing(context.active()), () => this.#post(body));
  }

  #post(body: Buffer): Promise<void> {
    // https only when the URL says so: loading TLS costs every service memory it otherwise never uses.
    const client =
      this.#url.protocol === 'https:'
        ? (require('node:https') as typeof import('node:https'))
        : { Agent, request };
    this.#agent ??= new client.Agent({ keepAlive: true, maxSockets: 1 });
    return new Promise((resolve, reject) => {
      const outgoing = client.request(
        this.#url,
        {
          method: 'POST',
          agent: this.#agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
          timeout: this.#timeoutMs,
        },
        (response: IncomingMessage) => {
          // The answer is `{}` or a partial success naming refused spans; either way it is read and let go.
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`the trace receiver answered HTTP ${status}`));
          });
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}

/**
 * How long spans that start waiting now wait before their export: `delayMs`, or longer so that exports
 * start at least `minIntervalMs` apart (`sinceLastExportMs` since the last one started).
 */
export function exportWaitMs(delayMs: number, minIntervalMs: number, sinceLastExportMs: number): number {
  return Math.max(delayMs, minIntervalMs - sinceLastExportMs);
}
