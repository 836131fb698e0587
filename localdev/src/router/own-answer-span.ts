/**
 * The span of an answer the dev router gives itself — a canary that is declared but not running, a
 * body over the limit, over capacity, a backend that is unreachable or silent: no service saw the
 * request, so without it that response named no trace (`X-Trace-Id`), though it is the one a developer
 * most wants to look up. Traefik with tracing on records its own answers alike. In the caller's trace
 * when the request's `traceparent` names one, else in a new one; the stack adds it to its receiver.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  CANARY_HEADER,
  CANARY_KEY_ATTRIBUTE,
  canaryKeyAttribute,
  parseCanaryKey,
} from '@pr-canary/contracts/canary-key';
import type { TraceSpan } from '@pr-canary/traces/model';

/** `service.name` of the router's spans. */
const DEV_ROUTER_SERVICE = 'dev-router';

/** A W3C traceparent (version 00) naming a trace and a span that are not all zeros. */
const TRACEPARENT = /^00-(?!0{32})([0-9a-f]{32})-(?!0{16})([0-9a-f]{16})-[0-9a-f]{2}$/;

export interface OwnAnswer {
  statusCode: number;
  code: string;
  /** The answer's message: fixed text that names PRs and services, never the request's input. */
  message: string;
}

/** The span of `answer` to `req`, which arrived at `startedAtMs` (epoch milliseconds). */
export function ownAnswerSpan(req: IncomingMessage, answer: OwnAnswer, startedAtMs: number): TraceSpan {
  const traceparent = req.headers.traceparent;
  const caller = TRACEPARENT.exec(typeof traceparent === 'string' ? traceparent : '');
  const nowMs = Date.now();
  const key = parseCanaryKey(req.headersDistinct[CANARY_HEADER], { lines: true });
  return {
    traceId: caller?.[1] ?? randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: caller?.[2] ?? null,
    name: `dev router ${answer.statusCode} ${answer.code}`,
    kind: 'server',
    service: DEV_ROUTER_SERVICE,
    version: null,
    track: null,
    // Milliseconds to microseconds, then nanoseconds: exact as decimal digits.
    startUnixNano: (BigInt(Math.round(startedAtMs * 1000)) * 1000n).toString(),
    durationMs: Math.max(0, nowMs - startedAtMs),
    status: { code: 'error', message: answer.message },
    attributes: {
      'http.request.method': req.method ?? 'GET',
      'http.response.status_code': answer.statusCode,
      [CANARY_KEY_ATTRIBUTE]: canaryKeyAttribute(key),
    },
    events: [],
  };
}
