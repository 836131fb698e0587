import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { isTracingActive, parseCanaryKey, runWithCanary } from '@pr-canary/canary-context';
import { afterAll, describe, expect, it } from 'vitest';
import { shutdownTelemetry, startTelemetry } from '../src/telemetry';

// One SDK for this file (the SDK registers process-wide globals; vitest runs each file in its own fork).
const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(exporter);
const warnings: string[] = [];
const started = startTelemetry({
  env: { CANARY_TRACK: 'pr-042', OTEL_TRACES_EXPORTER: 'bogus' },
  warn: (message) => warnings.push(message),
  spanProcessors: [processor],
});
afterAll(() => shutdownTelemetry());

function spanAttributes(name: string) {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name}`);
  return span.attributes;
}

describe('startTelemetry and CanarySpanProcessor', () => {
  it('starts once, and warns (without echoing values) about a bad CANARY_TRACK and an unknown exporter', () => {
    expect(started).toBe(true);
    expect(isTracingActive()).toBe(true);
    expect(startTelemetry({ env: {} })).toBe(false);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^CANARY_TRACK is invalid .*canary\.track=stable$/);
    expect(warnings[1]).toMatch(/unsupported exporter; supported: otlp, console, none/);
    expect(warnings.join(' ')).not.toMatch(/pr-042|bogus/);
  });

  it('stamps canary.key from the current scope and canary.track from the instance', async () => {
    const tracer = trace.getTracer('test');
    runWithCanary(parseCanaryKey('42'), () => tracer.startSpan('in-canary-scope').end());
    runWithCanary(parseCanaryKey('4x'), () => tracer.startSpan('invalid-key').end());
    tracer.startSpan('outside-scope').end();
    await processor.forceFlush();
    expect(spanAttributes('in-canary-scope')).toMatchObject({ 'canary.key': '42', 'canary.track': 'stable' });
    expect(spanAttributes('invalid-key')).toMatchObject({ 'canary.key': 'invalid' });
    expect(spanAttributes('outside-scope')).toMatchObject({
      'canary.key': 'absent',
      'canary.track': 'stable',
    });
  });

  it('does not start with OTEL_SDK_DISABLED=true', async () => {
    await shutdownTelemetry();
    expect(startTelemetry({ env: { OTEL_SDK_DISABLED: 'true' } })).toBe(false);
  });
});
