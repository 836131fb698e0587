/**
 * Standard OTEL_* variables the SDK reads itself and falls back from without a word (its diag logger
 * is silent by default): startTelemetry says so, naming the variable, never echoing its value.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  generalEnvProblems,
  otlpEndpointProblems,
  samplerEnvProblems,
  shutdownTelemetry,
  startTelemetry,
} from '../src/telemetry';

// The SDK reads the sampler from the process environment, as a service starts.
Object.assign(process.env, {
  OTEL_TRACES_SAMPLER: 'traceidratio',
  OTEL_TRACES_SAMPLER_ARG: '1.5',
});
const warnings: string[] = [];
startTelemetry({
  env: {
    ...process.env,
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'not-a-url',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://collector:4318',
    OTEL_SDK_DISABLED: 'maybe',
    OTEL_BSP_SCHEDULE_DELAY: '\u001b[31mabc',
  },
  warn: (message) => warnings.push(message),
});
// No span is made here: shutting down, the OTLP exporter has nothing to send to localhost:4318.
afterAll(() => shutdownTelemetry());

describe('startTelemetry with OTEL_* values the SDK would fall back from quietly', () => {
  it('warns about an OTLP endpoint that is no http(s) URL, a ratio outside 0..1, a non-boolean OTEL_SDK_DISABLED and a delay that is no number, naming the variable only', () => {
    expect(warnings).toEqual([
      'OTEL_SDK_DISABLED must be true or false; it is read as false, so tracing is on',
      'OTEL_BSP_SCHEDULE_DELAY must be a whole number of 0 or more; the SDK ignores or misreads this value',
      'OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1 for a traceidratio sampler; the SDK samples 1',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is not an http(s) URL; the OTLP exporter sends to its default, http://localhost:4318',
      'OTEL_EXPORTER_OTLP_ENDPOINT is not an http(s) URL; the OTLP exporter sends to its default, http://localhost:4318',
    ]);
    expect(warnings.join('\n')).not.toMatch(/not-a-url|ftp:|1\.5|maybe|abc/);
    expect(warnings.join('\n')).not.toContain('\u001b');
  });
});

describe('the OTEL_* values checked', () => {
  it.each([
    [{ OTEL_TRACES_SAMPLER: 'always_on' }, 0],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, 0],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, 0],
    [{}, 0],
    [{ OTEL_TRACES_SAMPLER: 'bogus' }, 1],
    [{ OTEL_TRACES_SAMPLER: 'Always_On' }, 1],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio' }, 1],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }, 1],
  ])('sampler %j: %i problem(s)', (env, count) => {
    expect(samplerEnvProblems(env)).toHaveLength(count);
  });

  it.each([
    [{}, 0],
    [{ OTEL_SDK_DISABLED: 'false', OTEL_LOG_LEVEL: 'debug', OTEL_EXPORTER_OTLP_TIMEOUT: '10000' }, 0],
    [{ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '0', OTEL_BSP_MAX_QUEUE_SIZE: ' 2048 ' }, 0],
    [{ OTEL_SDK_DISABLED: 'yes' }, 1],
    [{ OTEL_LOG_LEVEL: 'garbage' }, 1],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: '-5' }, 1],
    [{ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '-3', OTEL_BSP_SCHEDULE_DELAY: '1.5s' }, 2],
  ])('general %j: %i problem(s)', (env, count) => {
    expect(generalEnvProblems(env)).toHaveLength(count);
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://tempo.monitoring:4318' }, 0],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces' }, 0],
    [{}, 0],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'tempo:4318' }, 1],
  ])('endpoint %j: %i problem(s)', (env, count) => {
    expect(otlpEndpointProblems(env)).toHaveLength(count);
  });
});
