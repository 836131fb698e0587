import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CanarySpanProcessor } from '@pr-canary/canary-context/tracing';
import { parseTrack, type Track } from '@pr-canary/contracts/canary-key';
import { LOCAL_TRACES_URL_VARIABLE } from './local-traces';
import { runningTelemetry, setRunningTelemetry } from './telemetry-handle';

export interface TelemetryOptions {
  /**
   * Reads `OTEL_*`, `PR_CANARY_TRACES_URL`, and `CANARY_TRACK` / `SERVICE_VERSION` for the resource
   * (`canary.track`, `service.version`).
   */
  env: Record<string, string | undefined>;
  /** Where to report configuration problems (once, at start). */
  warn?: (message: string) => void;
  /** Extra processors after the exporters (tests use an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts the OTel NodeSDK (W3C tracecontext + baggage by default) unless `OTEL_SDK_DISABLED=true`.
 * Returns false when it did not start.
 *
 * No instrumentation is registered: the request's spans are made by this package's Fastify plugin
 * and gRPC interceptors (tracing.ts), which see every request and call anyway. The generic http and
 * grpc instrumentations patched every module and cost more CPU per traced request than the whole
 * untraced request. The SDK and its exporters are loaded here, only when tracing starts: with tracing
 * off a service never loads them (test/telemetry-loading.test.ts holds it to that).
 */
export function startTelemetry(opts: TelemetryOptions): boolean {
  const warn = opts.warn ?? ((message: string) => process.emitWarning(message, 'CanaryTelemetryWarning'));
  if (opts.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || runningTelemetry()) return false;
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { resourceFromAttributes } =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const track = trackFromEnv(opts.env.CANARY_TRACK, warn);
  const version = opts.env.SERVICE_VERSION?.trim();
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the SDK's env detector) override these.
    resource: resourceFromAttributes({
      'canary.track': track,
      ...(version ? { 'service.version': version } : {}),
    }),
    spanProcessors: [
      new CanarySpanProcessor(track),
      ...exportingProcessors(opts.env.OTEL_TRACES_EXPORTER, warn),
      ...localReceiverProcessors(opts.env[LOCAL_TRACES_URL_VARIABLE], warn),
      ...(opts.spanProcessors ?? []),
    ],
    // Tracing only: metrics are Prometheus (prom-client) and logs are pino on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
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

/** The local stack's receiver, when `PR_CANARY_TRACES_URL` names one (an http(s) URL). */
function localReceiverProcessors(url: string | undefined, warn: (message: string) => void): SpanProcessor[] {
  if (url === undefined || url.trim() === '') return [];
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    warn(`${LOCAL_TRACES_URL_VARIABLE} is not an http(s) URL; spans are not sent to a local receiver`);
    return [];
  }
  // Our own processor (telemetry-local.ts): the same OTLP/HTTP JSON, a fraction of the garbage.
  const { LocalExportProcessor } = require('./telemetry-local') as typeof import('./telemetry-local');
  return [new LocalExportProcessor({ url: url.trim() })];
}

export { shutdownTelemetry } from './telemetry-handle';
