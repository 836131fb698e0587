/**
 * The running SDK, kept on globalThis so it is one per process even when this package is loaded twice
 * (register from dist, the app from source). Light on purpose: the app imports `shutdownTelemetry`
 * without pulling in the SDK, or the OTel API.
 */
interface Stoppable {
  shutdown(): Promise<void>;
}

const SDK_SYMBOL = Symbol.for('@pr-canary/service-kit/otel-sdk');
const slot = globalThis as { [SDK_SYMBOL]?: Stoppable };

export function runningTelemetry(): Stoppable | undefined {
  return slot[SDK_SYMBOL];
}

export function setRunningTelemetry(sdk: Stoppable): void {
  slot[SDK_SYMBOL] = sdk;
}

/**
 * Flushes and stops the SDK started by `register`; a no-op when none is running. Never rejects: a
 * failed final export (no collector) goes to the OTel diag logger like every other export failure,
 * so it is visible with `OTEL_LOG_LEVEL` and does not turn a clean shutdown into exit code 1.
 */
export async function shutdownTelemetry(): Promise<void> {
  const sdk = slot[SDK_SYMBOL];
  slot[SDK_SYMBOL] = undefined;
  try {
    await sdk?.shutdown();
  } catch (err) {
    // Only an SDK that ran gets here, so the OTel API is loaded already.
    const { diag } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
    diag.warn('telemetry shutdown could not flush every span', err);
  }
}
