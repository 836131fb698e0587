import * as path from 'node:path';
import { startServiceProcess } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';

const PACKAGE_ROOT = path.resolve(__dirname, '..');

/**
 * All a service with tracing off loads of OpenTelemetry: its API. No SDK, exporter or instrumentation
 * package, nor @opentelemetry/core (with its semantic conventions), whose W3C baggage codec a service
 * loads only once some call carries baggage or sends a key.
 */
const WITHOUT_TRACING = new Set(['@opentelemetry/api']);

/** Runs the fixture as a service starts (register preloaded) and returns the telemetry packages it loaded. */
async function loadedWith(env: Record<string, string>): Promise<string[]> {
  const fixture = startServiceProcess({ cwd: PACKAGE_ROOT, script: 'test/fixtures/loaded-modules.ts', env });
  onTestFinished(() => fixture.stop());
  const code = await fixture.exited;
  if (code !== 0) throw new Error(`fixture exited with ${code}: ${fixture.stderr()}`);
  return (fixture.logs.at(-1) as { loaded: string[] }).loaded;
}

describe('telemetry loads only when tracing is on', () => {
  it('with OTEL_SDK_DISABLED=true, nothing of OpenTelemetry but its API is loaded', async () => {
    const loaded = await loadedWith({ OTEL_SDK_DISABLED: 'true' });
    expect(loaded.filter((name) => !WITHOUT_TRACING.has(name))).toEqual([]);
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
