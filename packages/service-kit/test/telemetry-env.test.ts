import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { shutdownTelemetry, startTelemetry } from '../src/telemetry';

// The standard OTEL_* variables the SDK reads from the process environment (as a service starts).
Object.assign(process.env, {
  OTEL_SERVICE_NAME: 'env-named',
  OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=pr-env,service.version=9.9.9',
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: '0',
  OTEL_PROPAGATORS: 'tracecontext,b3',
});
const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(exporter);
const warnings: string[] = [];
const started = startTelemetry({
  env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', CANARY_TRACK: 'pr-3', SERVICE_VERSION: '1.2.3' },
  warn: (message) => warnings.push(message),
  spanProcessors: [processor],
});
afterAll(() => shutdownTelemetry());

describe('startTelemetry honours the standard OTEL_* variables', () => {
  it('propagates only what OTEL_PROPAGATORS names and warns about the propagators it does not load', () => {
    expect(started).toBe(true);
    expect(propagation.fields().sort()).toEqual(['traceparent', 'tracestate']);
    expect(warnings).toEqual([
      'OTEL_PROPAGATORS contains an unsupported propagator; supported: tracecontext, baggage, none',
    ]);
  });

  it('samples by OTEL_TRACES_SAMPLER(_ARG) and stamps the resource from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES', async () => {
    const tracer = trace.getTracer('test');
    tracer.startSpan('root-ratio-0').end();
    const parent = propagation.extract(context.active(), {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    tracer.startSpan('child-of-sampled', {}, parent).end();
    await processor.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['child-of-sampled']);
    expect(spans[0]?.resource.attributes).toMatchObject({
      'service.name': 'env-named',
      'deployment.environment.name': 'pr-env',
      'service.version': '9.9.9',
      'canary.track': 'pr-3',
      'telemetry.sdk.language': 'nodejs',
    });
  });
});
