import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CanarySpanProcessor, UNTRACED_PATHS } from '@pr-canary/canary-context/tracing';
import { parseTrack, type Track } from '@pr-canary/contracts/canary-key';
import { runningTelemetry, setRunningTelemetry } from './telemetry-handle';

export interface TelemetryOptions {
  /** Only `OTEL_*` entries are read (plus `CANARY_TRACK` for the span attribute). */
  env: Record<string, string | undefined>;
  /** Where to report configuration problems (once, at start). */
  warn?: (message: string) => void;
  /** Extra processors after the exporters (tests use an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts the OTel NodeSDK (http + grpc instrumentation, W3C tracecontext + baggage by default) unless
 * `OTEL_SDK_DISABLED=true`. Returns false when it did not start.
 *
 * The SDK, its exporters and instrumentations are loaded here, only when tracing starts: with tracing
 * off a service never loads them (tens of MB and hundreds of ms of start-up;
 * test/telemetry-loading.test.ts holds it to that).
 */
export function startTelemetry(opts: TelemetryOptions): boolean {
  const warn = opts.warn ?? ((message: string) => process.emitWarning(message, 'CanaryTelemetryWarning'));
  if (opts.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || runningTelemetry()) return false;
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { GrpcInstrumentation } =
    require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
  const sdk = new NodeSDK({
    spanProcessors: [
      new CanarySpanProcessor(trackFromEnv(opts.env.CANARY_TRACK, warn)),
      ...exportingProcessors(opts.env.OTEL_TRACES_EXPORTER, warn),
      ...(opts.spanProcessors ?? []),
    ],
    // Tracing only: metrics are Prometheus (prom-client) and logs are pino on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has(pathOf(req.url)) }),
      new GrpcInstrumentation(),
    ],
  });
  sdk.start();
  setRunningTelemetry(sdk);
  return true;
}

function trackFromEnv(value: string | undefined, warn: (message: string) => void): Track {
  if (value === undefined || value === '') return 'stable';
  try {
    return parseTrack(value);
  } catch (error) {
    warn(`CANARY_TRACK is invalid (${(error as Error).message}); spans are stamped canary.track=stable`);
    return 'stable';
  }
}

/**
 * Exporters named by `OTEL_TRACES_EXPORTER` (default `otlp`, like the SDK): `otlp` (OTLP/HTTP JSON,
 * endpoint from `OTEL_EXPORTER_OTLP_*`), `console`, `none`. Export failures go to the OTel diag
 * logger, which is silent unless `OTEL_LOG_LEVEL` is set, so a missing collector costs no log spam.
 */
function exportingProcessors(value: string | undefined, warn: (message: string) => void): SpanProcessor[] {
  const names = (value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  const chosen = names.length === 0 ? ['otlp'] : names;
  if (chosen.includes('none')) return [];
  const { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  return chosen.flatMap((name): SpanProcessor[] => {
    if (name === 'otlp') return [new BatchSpanProcessor(new OTLPTraceExporter())];
    if (name === 'console') return [new SimpleSpanProcessor(new ConsoleSpanExporter())];
    warn(`OTEL_TRACES_EXPORTER contains an unsupported exporter; supported: otlp, console, none`);
    return [];
  });
}

function pathOf(url: string | undefined): string {
  return (url ?? '').split('?', 1)[0] ?? '';
}

export { shutdownTelemetry } from './telemetry-handle';
