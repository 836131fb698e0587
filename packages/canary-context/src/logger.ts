import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import { currentScope } from './context';
import type { InstanceIdentity } from './identity';

/** Header paths never written to logs (Fastify's and our own request/response shapes). */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  'headers["set-cookie"]',
];

export interface LoggerOptions {
  identity: InstanceIdentity;
  level?: string;
  /** Where to write; defaults to stdout (pretty-printed only when stdout is a TTY). */
  destination?: pino.DestinationStream;
}

/**
 * JSON lines with `service`, `track`, `version` on every line, plus `trace_id`/`span_id` of the active
 * span and `canary` (the valid PR, or `invalid`) of the current request scope. Errors go under `err`.
 */
export function createLogger(opts: LoggerOptions): pino.Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: opts.identity.service, track: opts.identity.track, version: opts.identity.version },
    errorKey: 'err',
    serializers: { err: pino.stdSerializers.err },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: requestContextFields,
  };
  if (opts.destination) return pino(options, opts.destination);
  if (process.stdout.isTTY) return pino({ ...options, transport: { target: 'pino-pretty' } });
  return pino(options);
}

function requestContextFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (spanContext && isSpanContextValid(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
  }
  const key = currentScope()?.key;
  if (key?.kind === 'valid') fields.canary = key.pr;
  else if (key?.kind === 'invalid') fields.canary = 'invalid';
  return fields;
}
