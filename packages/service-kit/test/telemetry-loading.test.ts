import * as path from 'node:path';
import { startServiceProcess } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';

const PACKAGE_ROOT = path.resolve(__dirname, '..');

/** With tracing on and exporting only to the local receiver: a tracer provider and what it needs. */
const TRACE_SDK = new Set([
  '@opentelemetry/api',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/semantic-conventions',
]);

/** Runs the fixture as a service starts (register preloaded) and returns the telemetry packages it loaded. */
async function loadedWith(env: Record<string, string>): Promise<string[]> {
  const fixture = startServiceProcess({ cwd: PACKAGE_ROOT, script: 'test/fixtures/loaded-modules.ts', env });
  onTestFinished(() => fixture.stop());
  const code = await fixture.exited;
  if (code !== 0) throw new Error(`fixture exited with ${code}: ${fixture.stderr()}`);
  return (fixture.logs.at(-1) as { loaded: string[] }).loaded;
}

describe('telemetry loads only when tracing is on', () => {
  it('with OTEL_SDK_DISABLED=true, nothing of OpenTelemetry is loaded, not even its API', async () => {
    // No SDK, exporter or instrumentation, nor the API (canary-context's otel-api.ts): a service loads
    // the API and @opentelemetry/core (its W3C baggage codec) only once some call carries baggage or
    // sends a key.
    const loaded = await loadedWith({ OTEL_SDK_DISABLED: 'true' });
    expect(loaded).toEqual([]);
  });

  it('with tracing on, only the trace SDK is loaded: no logs/metrics SDK, exporter, b3/jaeger or instrumentation', async () => {
    const loaded = await loadedWith({
      OTEL_TRACES_EXPORTER: 'none',
      PR_CANARY_TRACES_URL: 'http://127.0.0.1:9/v1/traces',
    });
    expect(loaded).toEqual(
      expect.arrayContaining(['@opentelemetry/sdk-trace-node', '@opentelemetry/resources']),
    );
    // The request's spans come from the plugin and the interceptors (src/tracing.ts); the local
    // receiver's export is our own processor (src/telemetry-local.ts).
    expect(loaded.filter((name) => !TRACE_SDK.has(name))).toEqual([]);
  });

  it('loads the OTLP trace exporter only when OTEL_TRACES_EXPORTER asks for it (the default, otlp)', async () => {
    const loaded = await loadedWith({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(loaded).toContain('@opentelemetry/exporter-trace-otlp-http');
    // (The exporter itself loads sdk-metrics for its own self-metrics types; nothing else of the NodeSDK's.)
    expect(
      loaded.filter((name) =>
        /^@opentelemetry\/(sdk-node|sdk-logs|propagator-|exporter-(?!trace-otlp-http$))/.test(name),
      ),
    ).toEqual([]);
  });
});
