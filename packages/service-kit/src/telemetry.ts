import type { TextMapPropagator } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CanarySpanProcessor } from '@pr-canary/canary-context/tracing';
import { CANARY_TRACK_ATTRIBUTE, parseTrack, type Track } from '@pr-canary/contracts/canary-key';
import { invalidOtlpEndpointVariables, isHttpUrl, LOCAL_TRACES_URL_VARIABLE } from './local-traces';
import { runningTelemetry, setRunningTelemetry } from './telemetry-handle';
import { PooledIdGenerator } from './telemetry-ids';

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
 * Starts tracing unless `OTEL_SDK_DISABLED=true`. Returns false when it did not start.
 *
 * A lean setup instead of the OTel NodeSDK: the NodeSDK loads the logs and metrics SDKs, every
 * OTLP/zipkin/prometheus exporter and the b3/jaeger propagators whether used or not (~420 modules,
 * ~11 MB RSS per traced service). Here only a tracer provider (with its async-hooks context manager), the
 * W3C trace-context and baggage propagators, the resource and the processors asked for are loaded;
 * the OTLP exporter only when `OTEL_TRACES_EXPORTER` asks for it (test/telemetry-loading.test.ts).
 * The standard variables keep working: `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` (env
 * detector), `OTEL_TRACES_SAMPLER(_ARG)` and span limits (the tracer provider), `OTEL_PROPAGATORS`
 * (`tracecontext`, `baggage`, `none`), `OTEL_LOG_LEVEL`, `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` etc.
 *
 * No instrumentation is registered: the request's spans are made by this package's Fastify plugin
 * and gRPC interceptors (tracing.ts), which see every request and call anyway. The generic http and
 * grpc instrumentations patched every module and cost more CPU per traced request than the whole
 * untraced request. With tracing off a service loads none of this.
 */
export function startTelemetry(opts: TelemetryOptions): boolean {
  const warn = opts.warn ?? ((message: string) => process.emitWarning(message, 'CanaryTelemetryWarning'));
  if (opts.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || runningTelemetry()) return false;
  for (const problem of generalEnvProblems(opts.env)) warn(problem);
  const { DiagConsoleLogger, diag } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const core = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const logLevel = opts.env.OTEL_LOG_LEVEL?.trim();
  if (logLevel) diag.setLogger(new DiagConsoleLogger(), { logLevel: core.diagLogLevelFromString(logLevel) });
  const { NodeTracerProvider } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const {
    defaultResource,
    detectResources,
    envDetector,
    hostDetector,
    processDetector,
    resourceFromAttributes,
  } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  for (const problem of samplerEnvProblems(opts.env)) warn(problem);
  const track = trackFromEnv(opts.env.CANARY_TRACK, warn);
  const version = opts.env.SERVICE_VERSION?.trim();
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector, merged last) override these.
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        [CANARY_TRACK_ATTRIBUTE]: track,
        ...(version ? { 'service.version': version } : {}),
      }),
    )
    .merge(detectResources({ detectors: [processDetector, hostDetector, envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    idGenerator: new PooledIdGenerator(),
    spanProcessors: [
      new CanarySpanProcessor(track),
      ...exportingProcessors(opts.env, warn),
      ...localReceiverProcessors(opts.env[LOCAL_TRACES_URL_VARIABLE], warn),
      ...(opts.spanProcessors ?? []),
    ],
  });
  provider.register({ propagator: propagatorFromEnv(opts.env.OTEL_PROPAGATORS, core, warn) });
  setRunningTelemetry(provider);
  return true;
}

/**
 * `OTEL_PROPAGATORS` (default `tracecontext,baggage`): `tracecontext`, `baggage` or `none`. Others
 * (b3, jaeger) are not loaded; naming one warns and it is left out.
 */
function propagatorFromEnv(
  value: string | undefined,
  core: typeof import('@opentelemetry/core'),
  warn: (message: string) => void,
): TextMapPropagator | null | undefined {
  const names = listFromEnv(value);
  if (names.length === 0) return undefined; // the provider's default: tracecontext + baggage
  if (names.includes('none')) return null;
  const propagators = names.flatMap((name) => {
    if (name === 'tracecontext') return [new core.W3CTraceContextPropagator()];
    if (name === 'baggage') return [new core.W3CBaggagePropagator()];
    warn('OTEL_PROPAGATORS contains an unsupported propagator; supported: tracecontext, baggage, none');
    return [];
  });
  return new core.CompositePropagator({ propagators });
}

function listFromEnv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
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

/** The samplers the SDK builds from `OTEL_TRACES_SAMPLER` (it falls back to parentbased_always_on). */
const SAMPLERS = new Set([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);

/**
 * The SDK reads `OTEL_TRACES_SAMPLER(_ARG)` itself and falls back quietly (its diag logger is silent
 * unless `OTEL_LOG_LEVEL` is set): a typo would change what is sampled without a word. Said here.
 */
export function samplerEnvProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const sampler = env.OTEL_TRACES_SAMPLER?.trim();
  if (sampler && !SAMPLERS.has(sampler))
    problems.push(
      `OTEL_TRACES_SAMPLER is not a sampler the SDK has (${[...SAMPLERS].join(', ')}); it samples parentbased_always_on`,
    );
  const ratio = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (sampler?.endsWith('traceidratio') && !(ratio && Number(ratio) >= 0 && Number(ratio) <= 1))
    problems.push(
      'OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1 for a traceidratio sampler; the SDK samples 1',
    );
  return problems;
}

/** The SDK's diag log levels (`OTEL_LOG_LEVEL`). */
const LOG_LEVELS = new Set(['NONE', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'VERBOSE', 'ALL']);

/** Variables the SDK reads as counts or milliseconds, where it has them (tracer provider, batch processor, exporter). */
const WHOLE_NUMBER_VARIABLES = [
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_LINK_COUNT_LIMIT',
  'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
] as const;

/**
 * What the SDK would read quietly otherwise (tracing on): `OTEL_SDK_DISABLED` other than true/false
 * (the specification reads it as false, and asks for a warning), an `OTEL_LOG_LEVEL` it does not know
 * (its diag logger stays silent), and limits, delays and timeouts that are not whole numbers (it drops
 * what it cannot read and takes a negative one as it is).
 */
export function generalEnvProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (disabled && disabled !== 'false')
    problems.push('OTEL_SDK_DISABLED must be true or false; it is read as false, so tracing is on');
  const logLevel = env.OTEL_LOG_LEVEL?.trim();
  if (logLevel && !LOG_LEVELS.has(logLevel.toUpperCase()))
    problems.push(
      `OTEL_LOG_LEVEL is not a level the SDK has (${[...LOG_LEVELS].join(', ')}); it logs nothing`,
    );
  for (const variable of WHOLE_NUMBER_VARIABLES) {
    const value = env[variable]?.trim();
    if (value && !/^\d{1,15}$/.test(value))
      problems.push(
        `${variable} must be a whole number of 0 or more; the SDK ignores or misreads this value`,
      );
  }
  return problems;
}

/** `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`, where set, must be an http(s) URL: the exporter silently sends to localhost:4318 otherwise. */
export function otlpEndpointProblems(env: Record<string, string | undefined>): string[] {
  return invalidOtlpEndpointVariables(env).map(
    (variable) =>
      `${variable} is not an http(s) URL; the OTLP exporter sends to its default, http://localhost:4318`,
  );
}

/**
 * Exporters named by `OTEL_TRACES_EXPORTER` (default `otlp`, like the SDK): `otlp` (OTLP/HTTP JSON,
 * endpoint from `OTEL_EXPORTER_OTLP_*`), `console`, `none`. Export failures go to the OTel diag
 * logger, which is silent unless `OTEL_LOG_LEVEL` is set, so a missing collector costs no log spam.
 */
function exportingProcessors(
  env: Record<string, string | undefined>,
  warn: (message: string) => void,
): SpanProcessor[] {
  const names = listFromEnv(env.OTEL_TRACES_EXPORTER);
  const chosen = names.length === 0 ? ['otlp'] : names;
  if (chosen.includes('none')) return [];
  const { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  return chosen.flatMap((name): SpanProcessor[] => {
    if (name === 'otlp') {
      for (const problem of otlpEndpointProblems(env)) warn(problem);
      // Loaded only here: a service that exports only to the local receiver never loads it.
      const { OTLPTraceExporter } =
        require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
      return [new BatchSpanProcessor(new OTLPTraceExporter())];
    }
    if (name === 'console') return [new SimpleSpanProcessor(new ConsoleSpanExporter())];
    warn(`OTEL_TRACES_EXPORTER contains an unsupported exporter; supported: otlp, console, none`);
    return [];
  });
}

/** The local stack's receiver, when `PR_CANARY_TRACES_URL` names one (an http(s) URL). */
function localReceiverProcessors(url: string | undefined, warn: (message: string) => void): SpanProcessor[] {
  if (url === undefined || url.trim() === '') return [];
  if (!isHttpUrl(url)) {
    warn(`${LOCAL_TRACES_URL_VARIABLE} is not an http(s) URL; spans are not sent to a local receiver`);
    return [];
  }
  // Our own processor (telemetry-local.ts): the same OTLP/HTTP JSON, a fraction of the garbage.
  const { LocalExportProcessor } = require('./telemetry-local') as typeof import('./telemetry-local');
  return [new LocalExportProcessor({ url: url.trim() })];
}

export { shutdownTelemetry } from './telemetry-handle';
