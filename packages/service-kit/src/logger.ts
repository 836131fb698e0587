import { activeSpanContext, currentScope, type InstanceIdentity } from '@pr-canary/canary-context';
import pino from 'pino';
import { LOG_TEXT_MAX_LENGTH, safeText } from './safe-text';

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
 * span and `canary` (the valid PR, or `invalid`) of the current request scope. Errors go under `err`,
 * bounded (see serializeError).
 *
 * stdout is written synchronously, a line per write: nothing is buffered, so nothing is flushed at exit.
 * pino's default (asynchronous) destination flushes its buffer when the process exits, and that flush
 * retries a failed write every 100 ms for ever — with stdout closed (EPIPE, e.g. the parent process
 * died) the process then never exits and, its thread blocked, ignores every later signal. A synchronous
 * write that fails with EPIPE turns the logger into a no-op instead.
 */
export function createLogger(opts: LoggerOptions): pino.Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: opts.identity.service, track: opts.identity.track, version: opts.identity.version },
    errorKey: 'err',
    serializers: { err: serializeError },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: requestContextFields,
  };
  if (opts.destination) return pino(options, opts.destination);
  if (process.stdout.isTTY) return pino({ ...options, transport: { target: 'pino-pretty' } });
  return pino(options, pino.destination({ fd: 1, sync: true }));
}

function requestContextFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const spanContext = activeSpanContext();
  if (spanContext) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
  }
  const key = currentScope()?.key;
  if (key?.kind === 'valid') fields.canary = key.pr;
  else if (key?.kind === 'invalid') fields.canary = 'invalid';
  return fields;
}

const STACK_MAX_LENGTH = 4096;
const FRAME_MAX_LENGTH = 300;
const MAX_DEPTH = 3;
const MAX_ENTRIES = 32;

/**
 * pino's error serializer, bounded: an error's message, its properties and its causes can carry
 * someone else's input (a URL, a header, a raw packet), so every string goes through `safeText`
 * (the stack keeps its frames, its message line is sanitised), byte arrays become their length,
 * and nesting and property counts are capped. A log line stays a few kilobytes at most.
 */
export function serializeError(err: unknown): unknown {
  return bounded(pino.stdSerializers.err(err as Error), 0, '');
}

function bounded(value: unknown, depth: number, key: string): unknown {
  if (typeof value === 'string') return key === 'stack' ? boundedStack(value) : safeText(value);
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (depth >= MAX_DEPTH) return '[object]';
  if (Array.isArray(value)) return value.slice(0, MAX_ENTRIES).map((item) => bounded(item, depth + 1, ''));
  const result: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value).slice(0, MAX_ENTRIES)) {
    result[name] = bounded(item, depth + 1, name);
  }
  return result;
}

/** The message part (every line before the first frame) sanitised, then the frames, cut to size. */
function boundedStack(stack: string): string {
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((line) => line.startsWith('    at '));
  const head = firstFrame === -1 ? lines : lines.slice(0, firstFrame);
  const frames =
    firstFrame === -1 ? [] : lines.slice(firstFrame).map((line) => line.slice(0, FRAME_MAX_LENGTH));
  const text = [safeText(head.join(' '), LOG_TEXT_MAX_LENGTH), ...frames].join('\n');
  return text.length > STACK_MAX_LENGTH ? `${text.slice(0, STACK_MAX_LENGTH)}…` : text;
}
