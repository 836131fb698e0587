import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Address, LiveRoutes } from '../routing/live-routes';
import { BackendLimiters, type LimiterOptions } from './limiter';
import { listen } from './listen';

/**
 * The mesh, playing Linkerd's GRPCRoute: every `x-canary` metadata entry exactly equal to a declared
 * store canary's PR → that canary, everything else → stable store-service; a declared canary that is
 * not running answers UNAVAILABLE naming PR and service, never stable. (Stricter than Linkerd, whose
 * Exact match takes a call when *any* entry equals N: see localdev/README.md.) Transparent h2c stream proxy: request
 * headers (metadata, `grpc-timeout`, `te`) pass unchanged, messages stream both ways with backpressure,
 * response headers and trailers (`grpc-status`, `grpc-message`, custom metadata) come back unchanged,
 * and a cancel on either side resets the other. An unreachable backend gets a gRPC UNAVAILABLE answer.
 *
 * Bounded, like the mesh's load shedding: per backend at most `maxActive` calls in flight and
 * `maxQueued` waiting (for at most `queueTimeoutMs`); a call over that gets UNAVAILABLE at once.
 */

const { NGHTTP2_CANCEL } = http2.constants;
const END_STREAM_FLAG = 0x1;
const GRPC_STATUS_UNAVAILABLE = 14;

export interface GrpcRouter {
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_GRPC_LIMITS: Readonly<LimiterOptions> = {
  maxActive: 100,
  maxQueued: 100,
  queueTimeoutMs: 1_000,
};

export interface GrpcRouterOptions {
  routes: LiveRoutes;
  port: number;
  host?: string;
  limits?: Partial<LimiterOptions>;
}

export async function startGrpcRouter(options: GrpcRouterOptions): Promise<GrpcRouter> {
  const sessions = new BackendSessions();
  const limiters = new BackendLimiters({ ...DEFAULT_GRPC_LIMITS, ...options.limits });
  const server = http2.createServer();
  server.on(
    'stream',
    (
      stream: http2.ServerHttp2Stream,
      headers: http2.IncomingHttpHeaders,
      _flags: number,
      rawHeaders: string[],
    ) => admit(options.routes, sessions, limiters, stream, headers, canaryEntries(rawHeaders)),
  );
  const inboundSessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    inboundSessions.add(session);
    session.on('error', () => session.destroy());
    session.on('close', () => inboundSessions.delete(session));
  });
  await listen(server, options.port, options.host ?? '127.0.0.1');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => closeServer(server, sessions, inboundSessions),
  };
}

/** One reused h2c session per backend address; a closed or failed session is replaced on next use. */
class BackendSessions {
  readonly #sessions = new Map<string, http2.ClientHttp2Session>();

  get(address: Address): http2.ClientHttp2Session {
    const key = `${address.host}:${address.port}`;
    const existing = this.#sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const session = http2.connect(`http://${key}`);
    session.on('error', () => session.destroy());
    session.on('close', () => {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    });
    session.unref();
    this.#sessions.set(key, session);
    return session;
  }

  closeAll(): void {
    for (const session of this.#sessions.values()) session.destroy();
    this.#sessions.clear();
  }
}

function admit(
  routes: LiveRoutes,
  sessions: BackendSessions,
  limiters: BackendLimiters,
  inbound: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  canaryValues: string[] | undefined,
): void {
  // Stream errors end up in 'close' handling below; an unhandled 'error' would crash the router.
  inbound.on('error', () => {});
  const route = routes.resolve('store-service', canaryValues);
  const backendName = `${route.backend.service} (${route.backend.track})`;
  const address = route.address;
  if (!address) {
    respondUnavailable(inbound, route.unavailable);
    return;
  }
  const leaveQueue = limiters.for(address).enter(
    (release) => {
      inbound.once('close', release);
      forward(sessions, address, backendName, inbound, headers);
    },
    (why) =>
      respondUnavailable(
        inbound,
        why === 'queue timeout'
          ? `${backendName} waited too long for a free slot in the dev router`
          : `${backendName} has too many calls waiting in the dev router`,
      ),
  );
  // A client that cancels while queued frees its place.
  inbound.once('close', leaveQueue);
}

function forward(
  sessions: BackendSessions,
  address: Address,
  backendName: string,
  inbound: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
): void {
  if (inbound.closed) return;
  let outbound: http2.ClientHttp2Stream;
  try {
    outbound = sessions.get(address).request(requestHeaders(headers), { endStream: false });
  } catch {
    respondUnavailable(inbound, `${backendName} is not reachable`);
    return;
  }
  let trailers: http2.OutgoingHttpHeaders | undefined;
  outbound.on('response', (responseHeaders, flags) => {
    if (inbound.closed) return;
    if ((flags & END_STREAM_FLAG) !== 0) {
      inbound.respond(withoutPseudo(responseHeaders, [':status']), { endStream: true });
      return;
    }
    inbound.respond(withoutPseudo(responseHeaders, [':status']), { waitForTrailers: true });
    outbound.pipe(inbound);
  });
  outbound.on('trailers', (received) => {
    trailers = withoutPseudo(received, []);
  });
  inbound.on('wantTrailers', () =>
    inbound.sendTrailers(trailers ?? unavailableTrailers(`${backendName} ended the call`)),
  );
  outbound.on('error', () => respondUnavailable(inbound, `${backendName} is not reachable`));
  outbound.on('close', () => {
    // The backend went away mid-call (no trailers): end the client's call with UNAVAILABLE, not a hang.
    if (inbound.closed || trailers) return;
    if (!inbound.headersSent) {
      respondUnavailable(inbound, `${backendName} closed the call without an answer`);
      return;
    }
    trailers = unavailableTrailers(`lost the connection to ${backendName}`);
    outbound.unpipe(inbound);
    inbound.end();
  });
  inbound.on('close', () => {
    if (!outbound.closed) outbound.close(NGHTTP2_CANCEL);
  });
  inbound.pipe(outbound);
}

/**
 * Every `x-canary` header field as received, one per metadata entry. (Node's headers object joins
 * repeated fields with ", ", which would make `42` + `7` look like the single entry "42, 7".)
 */
function canaryEntries(rawHeaders: readonly string[]): string[] | undefined {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i] === 'x-canary') values.push(rawHeaders[i + 1] ?? '');
  }
  return values.length > 0 ? values : undefined;
}

function requestHeaders(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  return withoutPseudo(headers, [':method', ':path', ':authority', ':scheme']);
}

/** Copies headers, keeping only the listed pseudo-headers. */
function withoutPseudo(
  headers: http2.IncomingHttpHeaders,
  keepPseudo: readonly string[],
): http2.OutgoingHttpHeaders {
  const result: http2.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (name.startsWith(':') && !keepPseudo.includes(name)) continue;
    result[name] = value;
  }
  return result;
}

function unavailableTrailers(message: string): http2.OutgoingHttpHeaders {
  return { 'grpc-status': String(GRPC_STATUS_UNAVAILABLE), 'grpc-message': encodeURIComponent(message) };
}

/** A trailers-only gRPC response, as a proxy answers when it has no healthy endpoint. */
function respondUnavailable(inbound: http2.ServerHttp2Stream, message: string): void {
  if (inbound.closed || inbound.headersSent) return;
  inbound.respond(
    { ':status': 200, 'content-type': 'application/grpc', ...unavailableTrailers(message) },
    { endStream: true },
  );
  inbound.resume();
}

function closeServer(
  server: http2.Http2Server,
  backends: BackendSessions,
  inbound: ReadonlySet<http2.ServerHttp2Session>,
): Promise<void> {
  return new Promise((resolve) => {
    backends.closeAll();
    server.close(() => resolve());
    for (const session of inbound) session.destroy();
  });
}
