import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CANARY_HEADER, TRACE_ID_HEADER } from '@pr-canary/contracts/canary-key';
import { corsResponseHeaders } from '@pr-canary/contracts/cors';
import {
  type ErrorBody,
  errorBody,
  parserErrorBody,
  rawErrorResponse,
  sendErrorBody,
  UNMET_EXPECTATION_BODY,
} from '@pr-canary/contracts/error-body';
import type { ServiceEntry } from '@pr-canary/contracts/services';
import type { TraceSpan } from '@pr-canary/traces/model';
import type { LiveRoutes, ResolvedRoute } from '../routing/live-routes';
import { BackendLimiters, type LimiterOptions, type Rejection } from './limiter';
import { listen } from './listen';
import { type OwnAnswer, ownAnswerSpan } from './own-answer-span';
import { ServicesByLabel } from './service-label';

/**
 * The edge, playing Traefik, for every edge service of the registry. The service is chosen by Host, as
 * Traefik's `Host(\`<short>.<domain>\`)` does: a Host whose first label is a registered edge service's
 * short name or name (`price.localhost:8080`) reaches it; any other Host (`localhost:8080`,
 * `127.0.0.1:8080`) reaches the first edge service in the registry. Then every `X-Canary` line exactly
 * equal to a declared canary's PR → that canary (the route table's rule, evaluated on the raw header
 * lines), everything else → stable. A declared canary that is not running answers 503 naming PR and
 * service, never stable.
 * A plain reverse proxy: bodies stream both ways, hop-by-hop headers are dropped, `X-Forwarded-*` is
 * set. The router never interprets or logs the key.
 *
 * Bounded, like a real edge: per backend at most `maxActive` requests in flight and `maxQueued`
 * waiting (for at most `queueTimeoutMs`); anything over gets a 503 JSON error at once. A backend
 * that sends nothing for `upstreamTimeoutMs` gets the request cut off with a 504.
 */

/** RFC 9110 §7.6.1 connection-specific headers, plus the ones a proxy must not forward. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export interface HttpRouter {
  port: number;
  close(): Promise<void>;
}

export interface HttpRouterLimits extends LimiterOptions {
  upstreamTimeoutMs: number;
  /**
   * Largest request body passed on (Traefik's Buffering `maxRequestBodyBytes`); a larger one is read
   * to its end and answered 413 by the router. Default: the service's own `bodyLimitBytes` from the
   * registry (none: no limit). A service that refuses a body closes the connection while the rest of it
   * is still arriving, and the reset that follows made the router answer 502 instead of the service's
   * 413 in a fifth of the tries.
   */
  maxBodyBytes: number | undefined;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpRouterLimits> = {
  maxActive: 64,
  maxQueued: 64,
  queueTimeoutMs: 1_000,
  upstreamTimeoutMs: 30_000,
  maxBodyBytes: undefined,
};

/** How much of a refused body the router reads (so the client can read the 413) before it hangs up. */
const MAX_DISCARDED_BODY_BYTES = 64 * 1024 * 1024;

export interface HttpRouterOptions {
  routes: LiveRoutes;
  port: number;
  host?: string;
  limits?: Partial<HttpRouterLimits>;
  /**
   * The origins the edge services allow (their `CORS_ALLOWED_ORIGINS`): the router's own answers (503
   * for a canary that is not running, 413, over capacity, 502, 504) carry `Access-Control-Allow-Origin`
   * for them, so a page on one of them (the web UI) can read why its request failed. Cross-origin is a
   * local matter: in a cluster the UI and the api share the edge's host.
   */
  corsOrigins?: () => readonly string[];
  /**
   * Where the spans of the router's own answers go (the stack's trace receiver); with it, those answers
   * name their trace in `X-Trace-Id` as the services' answers do (own-answer-span.ts).
   */
  recordOwnAnswer?: (span: TraceSpan) => void;
}

/**
 * The router's own answers recorded as spans, at most this many a second; the others name no trace.
 * Over capacity, every request is such an answer: recording each (138,000 in 20 s under a flood) spent
 * the runner's time exactly when it had none, and pushed every other trace out of the receiver.
 */
export const OWN_ANSWER_SPANS_PER_SECOND = 10;

interface Upstreams {
  routes: LiveRoutes;
  corsOrigins: () => readonly string[];
  recordOwnAnswer: ((span: TraceSpan) => void) | undefined;
  /** The second (epoch seconds) spans were last recorded in, and how many in it. */
  ownAnswerSpans: { second: number; count: number };
  agent: http.Agent;
  limiters: BackendLimiters;
  upstreamTimeoutMs: number;
  maxBodyBytes: number | undefined;
}

export async function startHttpRouter(options: HttpRouterOptions): Promise<HttpRouter> {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  // The limiter keeps at most maxActive requests per backend in flight, so the agent never queues.
  const agent = new http.Agent({ keepAlive: true, maxSockets: limits.maxActive });
  const upstreams: Upstreams = {
    routes: options.routes,
    corsOrigins: options.corsOrigins ?? (() => []),
    recordOwnAnswer: options.recordOwnAnswer,
    ownAnswerSpans: { second: 0, count: 0 },
    agent,
    limiters: new BackendLimiters(limits),
    upstreamTimeoutMs: limits.upstreamTimeoutMs,
    maxBodyBytes: limits.maxBodyBytes,
  };
  // A missing Host is refused by admit(), in the api's error shape (Node's own answer has no body).
  const server = http.createServer({ requireHostHeader: false }, (req, res) => admit(upstreams, req, res));
  server.on('clientError', answerClientError);
  // An Expect the router does not meet: the api's 417 (Node's own is a bare status line), never routed.
  server.on('checkExpectation', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    const { statusCode, code, message } = UNMET_EXPECTATION_BODY;
    sendError(upstreams, res, statusCode, code, message, { connection: 'close' });
  });
  // A CONNECT's socket leaves the server's connection list: kept here so that close() ends it too.
  const tunnelsAsked = new Set<Duplex>();
  // Node hands a plain HTTP server's sockets over as net.Sockets.
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) =>
    refuseConnect(socket as Socket, tunnelsAsked),
  );
  server.keepAliveTimeout = 5_000;
  await listen(server, options.port, options.host ?? '127.0.0.1');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of tunnelsAsked) socket.destroy();
      return closeServer(server, agent);
    },
  };
}

const EDGE_SERVICES = new ServicesByLabel('edge');

/** The edge service a Host header names (its first label), else the registry's first edge service. */
export function edgeServiceFor(host: string | undefined): ServiceEntry | undefined {
  return EDGE_SERVICES.named(host) ?? EDGE_SERVICES.services[0];
}

/** Where a request is going: the Host it names and its path, as the service receives them. */
interface RequestTarget {
  host: string | undefined;
  path: string;
}

/** `http://api.localhost:8080/api/route?x` → its authority (without userinfo) and the rest. */
const ABSOLUTE_FORM = /^https?:\/\/(?:[^@/?#]*@)?([^/?#]*)(.*)$/i;

/**
 * The request's target as Go's net/http reads it under Traefik: an absolute-form target (what a client
 * sends to a proxy: `GET http://billing.localhost/x`) names the host itself and overrides the Host
 * header (RFC 9112 §3.2.2), and the service gets it in origin-form (`/x`, with that Host). A request
 * with several Host headers, or HTTP/1.1 without one, is refused (RFC 9112 §3.2), as Go refuses it.
 * Returns the reason for a refusal.
 */
function requestTarget(req: http.IncomingMessage): RequestTarget | string {
  if (hostLines(req.rawHeaders) > 1) return 'the request has more than one Host header';
  const host = req.headers.host;
  const url = req.url ?? '/';
  if (url.startsWith('/') || url === '*') {
    if (host === undefined && req.httpVersion !== '1.0') return 'an HTTP/1.1 request needs a Host header';
    return { host, path: url };
  }
  const absolute = ABSOLUTE_FORM.exec(url);
  if (!absolute) return 'the request target is not a path or an http URL';
  const rest = absolute[2] ?? '';
  return { host: absolute[1], path: rest.startsWith('/') ? rest : `/${rest}` };
}

/**
 * How many Host lines the request has. (Node keeps the first in `headers`; `headersDistinct` would
 * build an array for every header of every request to tell.)
 */
function hostLines(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i]?.length === 4 && rawHeaders[i]?.toLowerCase() === 'host') count++;
  return count;
}

/** When each request arrived (epoch ms), for the span of an answer the router gives itself. */
const arrivals = new WeakMap<http.IncomingMessage, number>();

function admit(upstreams: Upstreams, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (upstreams.recordOwnAnswer) arrivals.set(req, Date.now());
  const target = requestTarget(req);
  if (typeof target === 'string') {
    res.setHeader('connection', 'close');
    sendError(upstreams, res, 400, 'BAD_REQUEST', target);
    req.resume();
    return;
  }
  const service = edgeServiceFor(target.host);
  if (!service) {
    sendError(upstreams, res, 404, 'NO_ROUTE', 'no edge service is registered');
    req.resume();
    return;
  }
  // One entry per header line, as received (Node, like Go's net/http, never splits a line at commas) —
  // and as forwarded: a key the request's Connection header names is dropped (hop-by-hop) before it is
  // routed, as Traefik's entrypoints do since 3.1.3 (pkg/middlewares/forwardedheaders); routed on, it
  // would bring a PR canary the request without its key.
  const forwarded = forwardedRequest(req, target);
  const route = upstreams.routes.resolve(service.name, forwarded.canary);
  const address = route.address;
  if (!address) {
    sendError(upstreams, res, 503, 'UNAVAILABLE', route.unavailable);
    req.resume();
    return;
  }
  const bodyLimit = { service: service.name, bytes: upstreams.maxBodyBytes ?? service.bodyLimitBytes };
  const declaredLength = Number(req.headers['content-length']);
  if (bodyLimit.bytes !== undefined && declaredLength > bodyLimit.bytes) {
    refuseBody(upstreams, req, res, bodyLimit);
    return;
  }
  const leaveQueue = upstreams.limiters.for(address).enter(
    (release) => {
      res.once('close', release);
      proxy(upstreams, route, address, bodyLimit, forwarded, req, res);
    },
    (why) => {
      sendOverCapacity(upstreams, res, route, why);
      req.resume();
    },
  );
  // A client that gives up while queued frees its place.
  res.once('close', leaveQueue);
}

function proxy(
  upstreams: Upstreams,
  route: ResolvedRoute,
  address: { host: string; port: number },
  bodyLimit: BodyLimit,
  forwarded: ForwardedRequest,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  const upstream = http.request({
    agent: upstreams.agent,
    host: address.host,
    port: address.port,
    method: req.method,
    path: forwarded.path,
    headers: forwarded.headers,
  });
  upstream.on('response', (upstreamRes) => {
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, responseHeaders(upstreamRes));
    upstreamRes.pipe(res);
    upstreamRes.on('error', () => res.destroy());
  });
  upstream.setTimeout(upstreams.upstreamTimeoutMs, () => {
    if (res.headersSent) res.destroy();
    else sendError(upstreams, res, 504, 'UPSTREAM_TIMEOUT', `${describe(route)} did not answer in time`);
    upstream.destroy();
  });
  upstream.on('error', () => {
    if (res.headersSent) res.destroy();
    else if (!res.writableEnded) sendBadGateway(upstreams, res, route);
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  // A body without a declared length (chunked) is counted as it streams.
  let received = 0;
  const limit = bodyLimit.bytes;
  const countBody = (chunk: Buffer) => {
    received += chunk.length;
    if (limit === undefined || received <= limit) return;
    req.off('data', countBody);
    req.unpipe(upstream);
    upstream.removeAllListeners('error');
    upstream.on('error', () => {});
    upstream.destroy();
    refuseBody(upstreams, req, res, bodyLimit);
  };
  req.on('data', countBody);
  req.pipe(upstream);
}

/** The largest body the routed service accepts (undefined: no limit). */
interface BodyLimit {
  service: string;
  bytes: number | undefined;
}

/** Reads the rest of an oversize body (up to a bound) and answers 413 in the services' error shape. */
function refuseBody(
  upstreams: Upstreams,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  limit: BodyLimit,
): void {
  const answer = () =>
    sendError(
      upstreams,
      res,
      413,
      'BODY_TOO_LARGE',
      `the request body is larger than ${limit.service} accepts (${limit.bytes} bytes)`,
    );
  if (req.readableEnded) {
    answer();
    return;
  }
  let discarded = 0;
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded <= MAX_DISCARDED_BODY_BYTES) return;
    req.off('data', onData);
    res.setHeader('connection', 'close');
    answer();
    req.destroy();
  };
  req.on('data', onData);
  req.once('end', answer);
  req.resume();
}

/** What the router sends upstream, worked out once: the request is routed on the key it forwards. */
interface ForwardedRequest {
  path: string;
  headers: http.OutgoingHttpHeaders;
  /** The `X-Canary` lines among `headers`: none when the request has none or `Connection` names the header. */
  canary: string[] | undefined;
}

function forwardedRequest(req: http.IncomingMessage, target: RequestTarget): ForwardedRequest {
  const listed = connectionListed(req.headers);
  const headers = withoutHopByHop(req.headers, listed);
  // Line by line, as Traefik passes them on (Node's `headers` joins repeated lines with ", ", which the
  // services read as one line holding a list).
  const lines = req.headersDistinct[CANARY_HEADER];
  const canary = lines === undefined || listed.has(CANARY_HEADER) ? undefined : lines;
  if (canary !== undefined) headers[CANARY_HEADER] = canary;
  if (target.host !== undefined) headers.host = target.host;
  const clientAddress = req.socket.remoteAddress ?? '';
  const priorFor = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = priorFor ? `${priorFor}, ${clientAddress}` : clientAddress;
  headers['x-forwarded-proto'] = 'http';
  if (target.host) headers['x-forwarded-host'] = target.host;
  return { path: target.path, headers, canary };
}

function responseHeaders(res: http.IncomingMessage): http.OutgoingHttpHeaders {
  return withoutHopByHop(res.headers);
}

/** The header names a message's `Connection` header lists (hop-by-hop, never forwarded). */
function connectionListed(headers: http.IncomingHttpHeaders): Set<string> {
  return new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}

function withoutHopByHop(
  headers: http.IncomingHttpHeaders,
  listed: ReadonlySet<string> = connectionListed(headers),
): http.OutgoingHttpHeaders {
  const result: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    result[name] = value;
  }
  return result;
}

function describe(route: ResolvedRoute): string {
  return `${route.backend.service} (${route.backend.track})`;
}

function sendBadGateway(upstreams: Upstreams, res: http.ServerResponse, route: ResolvedRoute): void {
  sendError(
    upstreams,
    res,
    502,
    'UPSTREAM_UNAVAILABLE',
    `${describe(route)} is not reachable through the dev router`,
  );
}

function sendOverCapacity(
  upstreams: Upstreams,
  res: http.ServerResponse,
  route: ResolvedRoute,
  why: Rejection,
): void {
  const reason =
    why === 'queue timeout' ? 'waited too long for a free slot' : 'has too many requests waiting';
  sendError(
    upstreams,
    res,
    503,
    'OVER_CAPACITY',
    `${describe(route)} ${reason} in the dev router; retry shortly`,
    {
      'retry-after': '1',
    },
  );
}

/** The router's own answer, in the services' error shape, readable by the pages the edge services allow. */
function sendError(
  upstreams: Upstreams,
  res: http.ServerResponse,
  statusCode: number,
  code: string,
  message: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const traceId = recordOwnAnswer(upstreams, res.req, { statusCode, code, message });
  sendErrorBody(res, errorBody(statusCode, code, message), {
    ...headers,
    ...(traceId ? { [TRACE_ID_HEADER]: traceId } : {}),
    ...corsResponseHeaders(
      new Set(upstreams.corsOrigins()),
      res.req.headers.origin,
      traceId ? TRACE_ID_HEADER : undefined,
    ),
  });
}

/**
 * Records the span of an answer the router gives itself, where spans are recorded and this second has
 * room for one (OWN_ANSWER_SPANS_PER_SECOND); its trace id, or undefined when none was recorded.
 */
function recordOwnAnswer(
  upstreams: Upstreams,
  req: http.IncomingMessage,
  answer: OwnAnswer,
): string | undefined {
  if (!upstreams.recordOwnAnswer) return undefined;
  const second = Math.floor(Date.now() / 1000);
  const recorded = upstreams.ownAnswerSpans;
  if (recorded.second !== second) {
    recorded.second = second;
    recorded.count = 0;
  }
  if (recorded.count >= OWN_ANSWER_SPANS_PER_SECOND) return undefined;
  recorded.count++;
  const span = ownAnswerSpan(req, answer, arrivals.get(req) ?? Date.now());
  upstreams.recordOwnAnswer(span);
  return span.traceId;
}

/**
 * A request Node's parser refuses (headers over its 16 KiB, not HTTP/1.1, a request timeout): Node's
 * own answer is a bare status line; this one has the api's error shape like the router's other answers
 * (and the api's own answer to the same request). The error carries the raw bytes: never echoed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // A pipelined request's response already under way must not be cut into.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  endWithError(socket, parserErrorBody(err.code));
}

/** Writes an error answer straight to the socket and closes the connection. */
function endWithError(socket: Duplex, body: ErrorBody): void {
  socket.end(rawErrorResponse(body));
}

/** How long a refused CONNECT's client may keep its side open after the answer (as long as an upstream may stay silent). */
const CONNECT_LINGER_MS = DEFAULT_HTTP_LIMITS.upstreamTimeoutMs;

/**
 * `CONNECT host:443` (curl -x, a browser set to use this port as its proxy): the router is an edge,
 * not a forward proxy, and opens no tunnels. Node's default is to drop the socket without a word; this
 * answers 501 Not Implemented (RFC 9110 §15.6.2: a method the server supports for no resource — a 405
 * would say the method is wrong for one resource and must list the ones that are right) in the api's
 * error shape, the target never echoed. What the client already sent after the request line is read
 * and dropped, so that closing does not reset the connection under the answer.
 */
function refuseConnect(socket: Socket, open: Set<Duplex>): void {
  open.add(socket);
  socket.once('close', () => open.delete(socket));
  socket.on('error', () => socket.destroy());
  socket.resume();
  socket.setTimeout(CONNECT_LINGER_MS, () => socket.destroy());
  endWithError(
    socket,
    errorBody(
      501,
      'NOT_IMPLEMENTED',
      'the dev router is not a forward proxy and opens no CONNECT tunnels: send the request itself to it, e.g. GET /api/route',
    ),
  );
}

function closeServer(server: http.Server, agent: http.Agent): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    agent.destroy();
  });
}
