import { startTraceReceiver, type TraceSpan } from '@pr-canary/traces';

/** One exported span, flattened: string attributes, and the exporting service's `service.name`. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  /** Start, Unix nanoseconds as a decimal string. */
  startUnixNano: string;
  durationMs: number;
  attributes: Record<string, string>;
  /** The span's status code: `unset`, `ok` or `error`. */
  status: TraceSpan['status']['code'];
}

export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;

const KIND_NUMBERS: Record<TraceSpan['kind'], number> = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};

export interface OtlpReceiver {
  /** Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter appends `/v1/traces`). */
  endpoint: string;
  /** Every span received so far. */
  readonly spans: ReceivedSpan[];
  close(): Promise<void>;
}

/**
 * The product's trace receiver (`@pr-canary/traces`, what `npm start` runs) on 127.0.0.1 and an
 * ephemeral port, its spans flattened for assertions. OTLP/HTTP JSON, the exporters' default here.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver = await startTraceReceiver({ port: 0 });
  return {
    endpoint: receiver.url,
    get spans() {
      return receiver.store.spans().map((span) => ({
        service: span.service,
        traceId: span.traceId,
        spanId: span.spanId,
        ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
        name: span.name,
        kind: KIND_NUMBERS[span.kind],
        startUnixNano: span.startUnixNano,
        durationMs: span.durationMs,
        attributes: Object.fromEntries(Object.entries(span.attributes).map(([k, v]) => [k, String(v)])),
        status: span.status.code,
      }));
    },
    close: () => receiver.close(),
  };
}
