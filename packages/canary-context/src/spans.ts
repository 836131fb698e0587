/**
 * The spans of a request, made here rather than by the generic HTTP/gRPC instrumentations: one server
 * span per HTTP request (Fastify plugin), one client and one server span per gRPC call (interceptors),
 * and whatever a service wraps with `withClientSpan` (the store's DynamoDB calls). The interceptors and
 * the plugin already see every call and already run its callbacks in the request's scope, so the span
 * rides in the same context switch instead of monkey-patched modules adding their own — the
 * instrumentations cost more CPU per traced request than the whole untraced request.
 *
 * Every function here is only called when `isTracingActive()`; with tracing off nothing of this runs.
 */
import type { Attributes, Context, Span, TextMapGetter, TextMapSetter, Tracer } from '@opentelemetry/api';
import { activeSpan, otelApi } from './otel-api';
import { spanClock } from './span-clock';

export {
  CANARY_KEY_ATTRIBUTE,
  CANARY_TRACK_ATTRIBUTE,
  canaryKeyAttribute,
} from '@pr-canary/contracts/canary-key';

const TRACER_NAME = '@pr-canary/canary-context';
let cachedTracer: Tracer | undefined;

function tracer(): Tracer {
  cachedTracer ??= otelApi().trace.getTracer(TRACER_NAME);
  return cachedTracer;
}

/** The context a request arrives with: the W3C `traceparent` (and baggage) in `carrier`, if any. */
export function callerContext<C>(carrier: C, getter: TextMapGetter<C>): Context {
  const { propagation, ROOT_CONTEXT } = otelApi();
  return propagation.extract(ROOT_CONTEXT, carrier, getter);
}

/** Whether `parent` (a `callerContext`) names a caller's span, which a server span can be the child of. */
export function namesCallerSpan(parent: Context): boolean {
  return otelApi().trace.getSpanContext(parent) !== undefined;
}

/** A server span whose parent is the caller's span in `parent` (a `callerContext`), if it names one. */
export function startServerSpan(
  name: string,
  parent: Context,
  attributes: Attributes,
): { span: Span; context: Context } {
  const span = tracer().startSpan(
    name,
    { kind: otelApi().SpanKind.SERVER, attributes, startTime: spanClock.now() },
    parent,
  );
  return { span, context: otelApi().trace.setSpan(parent, span) };
}

/**
 * Whether a call made now belongs to a traced request: a span is active. Calls made outside any
 * request (a readiness check, a table check) make no span, so no trace of their own (withClientSpan).
 */
export function inTracedRequest(): boolean {
  return activeSpan() !== undefined;
}

/** A client span under the active context; `inject` writes its traceparent (and baggage) into `carrier`. */
export function startClientSpan(
  name: string,
  attributes: Attributes,
  parent: Context = otelApi().context.active(),
) {
  const span = tracer().startSpan(
    name,
    { kind: otelApi().SpanKind.CLIENT, attributes, startTime: spanClock.now() },
    parent,
  );
  const spanContext = otelApi().trace.setSpan(parent, span);
  return {
    span,
    context: spanContext,
    inject<C>(carrier: C, setter: TextMapSetter<C>) {
      otelApi().propagation.inject(spanContext, carrier, setter);
    },
  };
}

/**
 * Ends a span made here. Always this, never `span.end()`: a span given its start time takes its end
 * from `Date.now()` unless given one too (span-clock.ts).
 */
export function endSpan(span: Span): void {
  span.end(spanClock.now());
}

const STATUS_MESSAGE_MAX_LENGTH = 512;

/**
 * Marks a span failed with a bounded message (it can quote a peer's gRPC details). Exporters encode it
 * as data; the trace receiver strips control characters before anything shows it.
 */
export function failSpan(span: Span, message: string): void {
  span.setStatus({
    code: otelApi().SpanStatusCode.ERROR,
    message: message.slice(0, STATUS_MESSAGE_MAX_LENGTH),
  });
}

/**
 * Runs `fn` inside a client span named `name` (e.g. `DynamoDB.GetItem`): the span ends when the
 * promise settles, failed with the error's name and message if it rejects. Without tracing, just `fn()`.
 *
 * Only as part of a traced request: with no span active (a store's table check every 5 s, its start-up
 * DescribeTable), just `fn()`. Each such call would otherwise be a one-span trace of its own, and they
 * crowded the requests out of the local receiver's last few hundred traces and out of
 * `pr-canary trace --last`.
 */
export async function withClientSpan<T>(
  name: string,
  attributes: Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  if (!inTracedRequest()) return fn();
  const { span, context: spanContext } = startClientSpan(name, attributes);
  try {
    return await otelApi().context.with(spanContext, fn);
  } catch (error) {
    const err = error as Error;
    failSpan(span, `${err?.name ?? 'Error'}: ${err?.message ?? String(error)}`);
    throw error;
  } finally {
    endSpan(span);
  }
}
