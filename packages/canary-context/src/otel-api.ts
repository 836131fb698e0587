/**
 * The OpenTelemetry API, loaded on first use. A service with tracing off never needs it: loading it
 * cost each service 25–40 ms of a ~450–600 ms start-up on this 2-core VM, for a facade of no-ops. What
 * runs whether or not a service traces (the Fastify plugin, the gRPC interceptors, the logger's mixin,
 * the fault injector) asks `isTracingActive()` / `activeSpan()`, which read the API's process-wide
 * registry without loading it; everything that runs only while tracing loads the API through
 * `otelApi()`. A call that carries W3C baggage, or sends a canary key onward, loads it too (its codec).
 */
import type * as OtelApi from '@opentelemetry/api';

let api: typeof OtelApi | undefined;

/** `@opentelemetry/api`, required the first time it is asked for. */
export function otelApi(): typeof OtelApi {
  api ??= require('@opentelemetry/api') as typeof OtelApi;
  return api;
}

/**
 * Where the API (major version 1, every copy of it in the process) registers the global tracer
 * provider, context manager and propagator: `trace.setGlobalTracerProvider` sets `trace` there, and
 * `trace.disable()` deletes it. A later major would use another key — service-kit's
 * test/telemetry-start.test.ts starts the SDK through the installed API and fails if this no longer sees it.
 */
const API_REGISTRY = Symbol.for('opentelemetry.js.api.1');

/** Whether a tracer provider was registered with the API — without loading it when none was. */
function tracerProviderRegistered(): boolean {
  return (globalThis as { [API_REGISTRY]?: { trace?: unknown } })[API_REGISTRY]?.trace !== undefined;
}

/** Whether a real tracer provider is registered (the SDK was started), as opposed to the no-op one. */
export function isTracingActive(): boolean {
  if (!tracerProviderRegistered()) return false;
  const { trace, ProxyTracerProvider } = otelApi();
  const provider = trace.getTracerProvider();
  if (!(provider instanceof ProxyTracerProvider)) return true;
  return provider.getDelegate() !== new ProxyTracerProvider().getDelegate();
}

/** The active span, if tracing: what a log line or an injected fault is attributed to. */
export function activeSpan(): OtelApi.Span | undefined {
  return tracerProviderRegistered() ? otelApi().trace.getActiveSpan() : undefined;
}

/** The active span's context when it names a real trace (not a no-op span's zeros): what a log line carries. */
export function activeSpanContext(): OtelApi.SpanContext | undefined {
  const spanContext = activeSpan()?.spanContext();
  return spanContext && otelApi().isSpanContextValid(spanContext) ? spanContext : undefined;
}
