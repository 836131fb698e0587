import * as path from 'node:path';
import { startServiceProcess } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';

const PACKAGE_ROOT = path.resolve(__dirname, '..');

/**
 * The OpenTelemetry SDK, exporter and instrumentation packages: what tracing needs and nothing else;
 * and @opentelemetry/core (with its semantic conventions), whose W3C baggage codec a service loads
 * only once some call carries baggage or sends a key.
 */
const TRACING_ONLY = [
  '@opentelemetry/core',
  '@opentelemetry/semantic-conventions',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/instrumentation',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-node',
  '@opentelemetry/sdk-trace-base',
];

/** Runs the fixture as a service starts (register preloaded) and returns the telemetry packages it loaded. */
async function loadedWith(env: Record<string, string>): Promise<string[]> {
  const fixture = startServiceProcess({ cwd: PACKAGE_ROOT, script: 'test/fixtures/loaded-modules.ts', env });
  onTestFinished(() => fixture.stop());
  const code = await fixture.exited;
  if (code !== 0) throw new Error(`fixture exited with ${code}: ${fixture.stderr()}`);
  return (fixture.logs.at(-1) as { loaded: string[] }).loaded;
}

describe('telemetry loads only when tracing is on', () => {
  it('with OTEL_SDK_DISABLED=true, no SDK, exporter or instrumentation package is loaded', async () => {
    const loaded = await loadedWith({ OTEL_SDK_DISABLED: 'true' });
    expect(loaded.filter((name) => TRACING_ONLY.includes(name))).toEqual([]);
  });

  it('with tracing on, the SDK is loaded and no instrumentation patches http, grpc or Fastify', async () => {
    const loaded = await loadedWith({ OTEL_TRACES_EXPORTER: 'none' });
    expect(loaded).toContain('@opentelemetry/sdk-node');
    // The request's spans come from the plugin and the interceptors (src/tracing.ts).
    expect(loaded.filter((name) => /^@opentelemetry\/instrumentation-|^@fastify\/otel$/.test(name))).toEqual(
      [],
    );
  });
});
