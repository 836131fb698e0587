import type { IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';
import {
  ABSENT_KEY,
  CANARY_HEADER,
  CANARY_HEADER_CANONICAL,
  CANARY_WARNING_HEADER,
  type CanaryKey,
  formatCanaryWarning,
  parseCanaryKey,
  SERVED_BY_HEADER,
  TRACE_ID_HEADER,
} from '@pr-canary/contracts/canary-key';
import { formatServedBy, type ServedByEntry } from '@pr-canary/contracts/served-by';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { type CanaryScope, createScope, runInScope } from './context';
import { assertValidIdentity, type InstanceIdentity, identityEntry, servedByFormatter } from './identity';
import { canaryLabel, type ServiceMetrics } from './metrics';
import { isTracingActive, otelApi } from './otel-api';
import { contextWithCanaryBaggage, UNTRACED_PATHS } from './otel-context';
import {
  CANARY_KEY_ATTRIBUTE,
  callerContext,
  canaryKeyAttribute,
  endSpan,
  failSpan,
  startServerSpan,
} from './spans';

declare module 'fastify' {
  interface FastifyRequest {
    /** The validated canary key this request is served under (absent when the header is not trusted). */
    canaryKey: CanaryKey;
  }
}

export interface CanaryPluginOptions {
  identity: InstanceIdentity;
  /** When false (untrusted edge), `X-Canary` is ignored and every request is served as stable. */
  trustHeader: boolean;
  metrics: ServiceMetrics;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const UNMATCHED_ROUTE = 'unmatched';
/** The request's scope, as a request decoration (a property read, where a WeakMap lookup hashed). */
const SCOPE = Symbol('canaryScope');
/** The request's server span, while tracing. */
const SPAN = Symbol('canarySpan');

type ScopedRequest = FastifyRequest & { [SCOPE]: CanaryScope | null; [SPAN]: Span | null };

const canaryPlugin: FastifyPluginAsync<CanaryPluginOptions> = async (app, opts) => {
  assertValidIdentity(opts.identity);
  const servedBy = servedByFormatter(Object.freeze(identityEntry(opts.identity)));
  // Tracing starts before the app (register), so this is known when the plugin is registered.
  const tracing = isTracingActive();

  /** The request's scope, created on first use (another plugin's onRequest may answer before ours runs). */
  function scopeOf(request: FastifyRequest): CanaryScope {
    const scoped = request as ScopedRequest;
    let scope = scoped[SCOPE];
    if (!scope) {
      const lines = opts.trustHeader ? canaryHeaderLines(request.raw) : undefined;
      const key = lines === undefined ? ABSENT_KEY : parseCanaryKey(lines, { lines: true });
      if (key.kind === 'invalid') opts.metrics.countInvalidKey('http', key.reason);
      scope = createScope(key);
      scoped[SCOPE] = scope;
    }
    return scope;
  }

  /**
   * Runs the rest of the lifecycle inside the request's scope and OTel baggage — and, while tracing,
   * its server span (parent: the request's `traceparent`). Everything after onRequest is started from
   * here, and Fastify resumes after body parsing through an AsyncResource bound to this context, so
   * handlers see the scope (test/fastify-plugin.test.ts proves it under load).
   */
  function continueInScope(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
    const scope = scopeOf(request);
    // Without a tracer provider there is no OTel context to carry baggage in (the no-op manager).
    if (!tracing) return runInScope(scope, done);
    const route = request.is404 ? undefined : request.routeOptions.url;
    const { context, defaultTextMapGetter } = otelApi();
    if (route !== undefined && UNTRACED_PATHS.has(route))
      return context.with(contextWithCanaryBaggage(scope.key), runInScope, undefined, scope, done);
    const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER';
    const { span, context: spanContext } = startServerSpan(
      route === undefined ? method : `${method} ${route}`,
      callerContext(request.headers, defaultTextMapGetter),
      {
        'http.request.method': method,
        ...(route === undefined ? {} : { 'http.route': route }),
        [CANARY_KEY_ATTRIBUTE]: canaryKeyAttribute(scope.key),
      },
    );
    (request as ScopedRequest)[SPAN] = span;
    context.with(contextWithCanaryBaggage(scope.key, spanContext), runInScope, undefined, scope, done);
  }

  /** Ends the request's span once (a response, or the client going away first). */
  function endRequestSpan(request: FastifyRequest, statusCode: number | undefined): void {
    const scoped = request as ScopedRequest;
    const span = scoped[SPAN];
    if (!span) return;
    scoped[SPAN] = null;
    if (statusCode === undefined) failSpan(span, 'the client closed the connection before the response');
    else {
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) failSpan(span, `HTTP ${statusCode}`);
    }
    endSpan(span);
  }

  app.decorateRequest(SCOPE, null);
  app.decorateRequest(SPAN, null);
  app.decorateRequest('canaryKey', {
    getter(this: FastifyRequest) {
      return scopeOf(this).key;
    },
  });
  app.addHook('onRequest', continueInScope);
  app.addHook('onSend', (request, reply, payload, done) => {
    setCanaryResponseHeaders(reply, scopeOf(request), servedBy);
    // The response names its trace, so a tester can look it up (web UI, `pr-canary trace <id>`).
    const span = (request as ScopedRequest)[SPAN];
    if (span?.isRecording()) reply.header(TRACE_ID_HEADER, span.spanContext().traceId);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    opts.metrics.recordHttpRequest({
      method: KNOWN_METHODS.has(request.method) ? request.method : 'OTHER',
      route: routeLabel(request),
      statusCode: reply.statusCode,
      canary: canaryLabel(scopeOf(request).key),
      seconds: reply.elapsedTime / 1000,
    });
    endRequestSpan(request, reply.statusCode);
    done();
  });
  if (tracing) {
    app.addHook('onRequestAbort', (request, done) => {
      endRequestSpan(request, undefined);
      done();
    });
  }
};

function setCanaryResponseHeaders(
  reply: FastifyReply,
  scope: CanaryScope,
  servedBy: (downstream: readonly ServedByEntry[]) => string,
) {
  const { key, downstream } = scope;
  if (key.kind === 'valid') reply.header(CANARY_HEADER, key.pr);
  else if (key.kind === 'invalid') reply.header(CANARY_WARNING_HEADER, formatCanaryWarning(key));
  reply.header(SERVED_BY_HEADER, servedBy(downstream));
  reply.header('vary', withVaryOnCanary(reply.getHeader('vary')));
}

export interface CanaryHeaderOptions {
  identity: InstanceIdentity;
  /** As the plugin's `trustHeader`: when false, the request's `X-Canary` is ignored. */
  trustHeader: boolean;
}

/**
 * The request's `X-Canary` lines as received, or undefined when it sent none. Node joins repeated
 * lines with ", " in `headers`, which would make two lines `42` read like the one line `42, 42` —
 * which the edge's route rule does not route to PR 42 — so the key is read from the raw lines.
 */
export function canaryHeaderLines(request: IncomingMessage): string[] | undefined {
  if (request.headers[CANARY_HEADER] === undefined) return undefined;
  const raw = request.rawHeaders;
  const lines: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === CANARY_HEADER.length && name.toLowerCase() === CANARY_HEADER)
      lines.push(raw[i + 1] as string);
  }
  return lines;
}

/**
 * The headers the plugin adds to every response, for responses written outside Fastify's request
 * lifecycle, where no hook runs: Fastify's framework errors (bad URL encoding, an over-long path
 * parameter) and a server's `clientError` answers (unparseable requests, where the lines are unknown).
 * No downstream hop can have answered there, so X-Served-By is this instance's own entry.
 */
export function canaryResponseHeaders(
  lines: readonly string[] | undefined,
  opts: CanaryHeaderOptions,
): Record<string, string> {
  const key = opts.trustHeader ? parseCanaryKey(lines, { lines: true }) : ABSENT_KEY;
  const headers: Record<string, string> = {
    [SERVED_BY_HEADER]: formatServedBy([identityEntry(opts.identity)]),
    vary: CANARY_HEADER_CANONICAL,
  };
  if (key.kind === 'valid') headers[CANARY_HEADER] = key.pr;
  if (key.kind === 'invalid') headers[CANARY_WARNING_HEADER] = formatCanaryWarning(key);
  return headers;
}

/** Responses differ by `X-Canary`, so shared caches must key on it. */
function withVaryOnCanary(existing: ReturnType<FastifyReply['getHeader']>): string {
  // The common cases without splitting: no Vary yet, or only CORS's `Origin`.
  if (existing === undefined) return CANARY_HEADER_CANONICAL;
  if (existing === 'Origin') return 'Origin, X-Canary';
  const current = Array.isArray(existing)
    ? existing.join(', ')
    : existing === undefined
      ? ''
      : String(existing);
  const names = current
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.some((name) => name === '*' || name.toLowerCase() === CANARY_HEADER)) return names.join(', ');
  return [...names, CANARY_HEADER_CANONICAL].join(', ');
}

/** The route template (bounded cardinality), never the raw URL. */
function routeLabel(request: FastifyRequest): string {
  if (request.is404) return UNMATCHED_ROUTE;
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

/**
 * Parses `X-Canary` (unless untrusted), runs the whole request lifecycle inside its canary scope with
 * OTel baggage `canary`, counts invalid keys, records HTTP metrics, and answers every response
 * (errors, 404s and preflights included) with `X-Served-By`, `X-Canary` / `X-Canary-Warning`.
 */
export const canaryFastifyPlugin = fp(canaryPlugin, { fastify: '5.x', name: '@pr-canary/canary-context' });
