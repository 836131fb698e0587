import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { CANARY_HEADER } from '@pr-canary/contracts/canary-key';
import { type ServiceEntry, serviceForGrpc } from '@pr-canary/contracts/services';
import type { Address, LiveRoutes } from '../routing/live-routes';
import { BackendLimiters, type LimiterOptions } from './limiter';
import { listen } from './listen';
import { ServicesByLabel } from './service-label';

/**
 * The mesh, playing Linkerd's GRPCRoute, for every mesh service of the registry behind one address.
 * In a cluster each service has its own address; here the service a call is for is:
 *   1. the one its `:authority` names (first label = a registered short name or name, as in
 *      `store-service.apps.svc.cluster.local:80`, or `grpcurl -authority store …`);
 *   2. else the one whose `grpcService` is the call's path (`/store.v1.ItemsService/GetItem`);
 *   3. else, for `grpc.health.v1.Health` Check and Watch, the one whose `grpcService` the request
 *      names (the first message is read, then passed on unchanged);
 * otherwise the call is answered UNIMPLEMENTED (NOT_FOUND for a health request naming no registered
 * service). Then every `x-canary` metadata entry exactly equal to a declared canary's PR → that
 * canary, everything else → stable; a declared canary that is not running answers UNAVAILABLE naming
 * PR and service, never stable. (Stricter than Linkerd, whose Exact match takes a call when *any*
 * entry equals N: see localdev/README.md.) Transparent h2c stream proxy: request
 * headers (metadata, `grpc-timeout`, `te`) pass unchanged, messages stream both ways with backpressure,
 * response headers and trailers (`grpc-status`, `grpc-message`, custom metadata) come back unchanged,
 * and a cancel on either side resets the other. An unreachable backend gets a gRPC UNAVAILABLE answer.
 *
 * Bounded, like the mesh's load shedding: per backend at most `maxActive` calls in flight and
 * `maxQueued` waiting (for at most `queueTimeoutMs`); a call over that gets UNAVAILABLE at once. A
 * health call whose backend is known only from its request waits for that request before any of
 * this: at most `maxAwaitingRequest` of them at once (UNAVAILABLE beyond), each for at most
 * `requestTimeoutMs` (then DEADLINE_EXCEEDED); and a client session may open at most
 * `MAX_STREAMS_PER_SESSION` streams at once. Without these, a client opening streams it never sent a
 * request on held them, and the router's memory, for ever (90,000 of them took 420 MB).
 */

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;
const END_STREAM_FLAG = 0x1;
const GRPC_STATUS_DEADLINE_EXCEEDED = 4;
const GRPC_STATUS_NOT_FOUND = 5;
const GRPC_STATUS_UNIMPLEMENTED = 12;
const GRPC_STATUS_UNAVAILABLE = 14;
const HEALTH_PATHS = new Set(['/grpc.health.v1.Health/Check', '/grpc.health.v1.Health/Watch']);
/** A health request is a few dozen bytes; a first message bigger than this is not read for routing. */
const MAX_PEEKED_BYTES = 4 * 1024;
const GRPC_PATH = /^\/([A-Za-z_][A-Za-z0-9_.]{0,199})\/[A-Za-z_][A-Za-z0-9_]{0,99}$/;
const MESH_SERVICES = new ServicesByLabel('mesh');

export interface GrpcRouter {
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_GRPC_LIMITS: Readonly<LimiterOptions> = {
  maxActive: 100,
  maxQueued: 100,
  queueTimeoutMs: 1_000,
};

/** Calls routed by their request (health checks) waiting for it, and for how long each may. */
export interface RequestWaitLimits {
  maxAwaitingRequest: number;
  requestTimeoutMs: number;
}

export const DEFAULT_REQUEST_WAIT_LIMITS: Readonly<RequestWaitLimits> = {
  maxAwaitingRequest: 256,
  requestTimeoutMs: 10_000,
};

/** Streams one client session may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
export const MAX_STREAMS_PER_SESSION = 1_000;

export interface GrpcRouterOptions {
  routes: LiveRoutes;
  port: number;
  host?: string;
  limits?: Partial<LimiterOptions>;
  requestWait?: Partial<RequestWaitLimits>;
}

export async function startGrpcRouter(options: GrpcRouterOptions): Promise<GrpcRouter> {
  const sessions = new BackendSessions();
  const limiters = new BackendLimiters({ ...DEFAULT_GRPC_LIMITS, ...options.limits });
  const requestWait = new RequestWait({ ...DEFAULT_REQUEST_WAIT_LIMITS, ...options.requestWait });
  const server = http2.createServer({ settings: { maxConcurrentStreams: MAX_STREAMS_PER_SESSION } });
  server.on(
    'stream',
    (
      stream: http2.ServerHttp2Stream,
      headers: http2.IncomingHttpHeaders,
      _flags: number,
      rawHeaders: string[],
    ) =>
      admit({
        routes: options.routes,
        sessions,
        limiters,
        requestWait,
        inbound: stream,
        headers,
        canaryValues: canaryEntries(rawHeaders),
      }),
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

/** Which mesh service a call is for, by `:authority` then path (see the top of this file). */
export function meshServiceFor(
  authority: string | undefined,
  path: string | undefined,
): ServiceEntry | 'by health request' | undefined {
  const named = MESH_SERVICES.named(authority);
  if (named) return named;
  const grpcService = GRPC_PATH.exec(path ?? '')?.[1];
  const serving = grpcService === undefined ? undefined : serviceForGrpc(grpcService);
  if (serving?.hop === 'mesh') return serving;
  return HEALTH_PATHS.has(path ?? '') ? 'by health request' : undefined;
}

/** How many calls wait for their request now (see the top of this file), and how long each may. */
class RequestWait {
  #waiting = 0;

  constructor(readonly limits: RequestWaitLimits) {}

  /** Takes a place, or undefined when every place is taken; the place is given back by `leave`. */
  enter(): { leave(): void } | undefined {
    if (this.#waiting >= this.limits.maxAwaitingRequest) return undefined;
    this.#waiting++;
    let left = false;
    return {
      leave: () => {
        if (left) return;
        left = true;
        this.#waiting--;
      },
    };
  }
}

/** One inbound call, and what the router routes it with. */
interface InboundCall {
  routes: LiveRoutes;
  sessions: BackendSessions;
  limiters: BackendLimiters;
  requestWait: RequestWait;
  inbound: http2.ServerHttp2Stream;
  headers: http2.IncomingHttpHeaders;
  /** Every `x-canary` value the call carries, as received. */
  canaryValues: string[] | undefined;
}

function admit(call: InboundCall): void {
  const { inbound, headers } = call;
  // Stream errors end up in 'close' handling below; an unhandled 'error' would crash the router.
  inbound.on('error', () => {});
  const target = meshServiceFor(headers[':authority'], headers[':path']);
  if (target === undefined) {
    const grpcService = GRPC_PATH.exec(headers[':path'] ?? '')?.[1];
    respondTrailersOnly(
      inbound,
      GRPC_STATUS_UNIMPLEMENTED,
      grpcService === undefined
        ? 'not a gRPC method path'
        : `no registered mesh service serves ${grpcService} (packages/contracts/src/services.json)`,
    );
    return;
  }
  if (target !== 'by health request') {
    routeCall(call, target, undefined);
    return;
  }
  const place = call.requestWait.enter();
  if (!place) {
    respondTrailersOnly(
      inbound,
      GRPC_STATUS_UNAVAILABLE,
      'too many health calls are waiting for their request in the dev router; try again shortly',
    );
    return;
  }
  const { requestTimeoutMs } = call.requestWait.limits;
  const timer = setTimeout(() => {
    if (inbound.closed) return;
    respondTrailersOnly(
      inbound,
      GRPC_STATUS_DEADLINE_EXCEEDED,
      `the health request did not arrive within ${requestTimeoutMs / 1000} s`,
    );
    // And stop the client sending what is no longer read (RST_STREAM NO_ERROR after the trailers, as
    // gRPC servers end a call whose request they do not need).
    inbound.close(NGHTTP2_NO_ERROR);
  }, requestTimeoutMs);
  inbound.once('close', () => {
    clearTimeout(timer);
    place.leave();
  });
  void readFirstMessage(inbound).then((first) => {
    clearTimeout(timer);
    place.leave();
    if (inbound.closed) return;
    const requested = healthRequestService(first.data);
    const service = requested === undefined ? undefined : serviceForGrpc(requested);
    if (service?.hop !== 'mesh') {
      respondTrailersOnly(
        inbound,
        GRPC_STATUS_NOT_FOUND,
        requested === undefined
          ? // Compressed (grpc-js compresses when the channel asks for it), cut short or malformed.
            "the health request cannot be read to route it (compressed or malformed): set :authority to the service's name"
          : 'the health request names no registered mesh service (name its gRPC service, e.g. store.v1.ItemsService, or set :authority to the service)',
      );
      return;
    }
    routeCall(call, service, first);
  });
}

/** What was read of a call's request before it was routed: passed on first, unchanged. */
interface Peeked {
  data: Buffer;
  /** The client had already ended its side. */
  ended: boolean;
}

function routeCall(
  { routes, sessions, limiters, inbound, headers, canaryValues }: InboundCall,
  service: ServiceEntry,
  peeked: Peeked | undefined,
): void {
  const route = routes.resolve(service.name, canaryValues);
  const backendName = `${route.backend.service} (${route.backend.track})`;
  const address = route.address;
  if (!address) {
    respondUnavailable(inbound, route.unavailable);
    return;
  }
  const leaveQueue = limiters.for(address).enter(
    (release) => {
      inbound.once('close', release);
      forward(sessions, address, backendName, inbound, headers, peeked);
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
  peeked: Peeked | undefined,
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
  // A unary request arrives whole (HEADERS, message, END_STREAM in one read), but its 'end' reaches us
  // a tick after its data: written at once, the message would leave in one packet and END_STREAM in
  // another, and the backend (grpc-js runs a unary handler only at END_STREAM) would wake up twice per
  // call. Corked until the end of this turn of the event loop, the message and END_STREAM share one
  // DATA frame, sent with the HEADERS (end() uncorks); a streaming request is uncorked at once after.
  outbound.cork();
  setImmediate(() => {
    if (outbound.writableCorked > 0) outbound.uncork();
  });
  if (peeked?.ended) {
    outbound.end(peeked.data);
    return;
  }
  if (peeked) outbound.write(peeked.data);
  inbound.pipe(outbound);
}

/**
 * Reads a call's request until its first gRPC message is complete (or MAX_PEEKED_BYTES, or the client
 * ends), then pauses it: what was read is passed on before the rest.
 */
function readFirstMessage(inbound: http2.ServerHttp2Stream): Promise<Peeked> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (ended: boolean) => {
      inbound.off('data', onData);
      inbound.off('end', onEnd);
      inbound.off('close', onEnd);
      inbound.pause();
      resolve({ data: Buffer.concat(chunks), ended });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size < 5 && size < MAX_PEEKED_BYTES) return;
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      if (size >= MAX_PEEKED_BYTES || size >= 5 + head.readUInt32BE(1)) done(false);
    };
    const onEnd = () => done(true);
    inbound.on('data', onData);
    inbound.once('end', onEnd);
    inbound.once('close', onEnd);
  });
}

/**
 * The `service` field of a grpc.health.v1 HealthCheckRequest (field 1, a string; absent = ""), read
 * from its length-prefixed gRPC frame; undefined when the frame is compressed, cut short or malformed.
 */
export function healthRequestService(frame: Buffer): string | undefined {
  if (frame.length < 5 || frame[0] !== 0) return undefined;
  const body = frame.subarray(5, 5 + frame.readUInt32BE(1));
  if (body.length !== frame.readUInt32BE(1)) return undefined;
  let offset = 0;
  let found = '';
  while (offset < body.length) {
    const tag = readVarint(body, offset);
    if (!tag) return undefined;
    offset = tag.next;
    const wireType = tag.value & 7;
    if (wireType === 0) {
      const skipped = readVarint(body, offset);
      if (!skipped) return undefined;
      offset = skipped.next;
    } else if (wireType === 1 || wireType === 5) {
      offset += wireType === 1 ? 8 : 4;
    } else if (wireType === 2) {
      const length = readVarint(body, offset);
      if (!length || length.next + length.value > body.length) return undefined;
      if (tag.value >>> 3 === 1) found = body.toString('utf8', length.next, length.next + length.value);
      offset = length.next + length.value;
    } else {
      return undefined;
    }
  }
  return offset === body.length ? found : undefined;
}

function readVarint(buffer: Buffer, start: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5 && start + i < buffer.length; i++) {
    const byte = buffer[start + i] as number;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return { value, next: start + i + 1 };
  }
  return undefined;
}

/**
 * Every `x-canary` header field as received, one per metadata entry. (Node's headers object joins
 * repeated fields with ", ", which would make `42` + `7` look like the single entry "42, 7".)
 */
function canaryEntries(rawHeaders: readonly string[]): string[] | undefined {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i] === CANARY_HEADER) values.push(rawHeaders[i + 1] ?? '');
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
  // for…in over the object Node built (no entries array per call): this runs twice per proxied call.
  const result: http2.OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (name.charCodeAt(0) === 0x3a /* ':' */ && !keepPseudo.includes(name)) continue;
    result[name] = value;
  }
  return result;
}

function statusTrailers(code: number, message: string): http2.OutgoingHttpHeaders {
  return { 'grpc-status': String(code), 'grpc-message': percentEncode(message) };
}

/**
 * `grpc-message` as the gRPC HTTP/2 protocol encodes it: UTF-8, every byte outside printable ASCII
 * (and `%` itself) as `%XX`. (encodeURIComponent would also encode `,` and `:`, which grpc-js's
 * decodeURI leaves as `%2C` and `%3A`.)
 */
function percentEncode(message: string): string {
  let encoded = '';
  for (const byte of Buffer.from(message, 'utf8'))
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return encoded;
}

function unavailableTrailers(message: string): http2.OutgoingHttpHeaders {
  return statusTrailers(GRPC_STATUS_UNAVAILABLE, message);
}

/** A trailers-only gRPC response, as a proxy answers when it cannot route a call. */
function respondTrailersOnly(inbound: http2.ServerHttp2Stream, code: number, message: string): void {
  if (inbound.closed || inbound.headersSent) return;
  inbound.respond(
    { ':status': 200, 'content-type': 'application/grpc', ...statusTrailers(code, message) },
    { endStream: true },
  );
  inbound.resume();
}

/** UNAVAILABLE, as a proxy answers when it has no healthy endpoint. */
function respondUnavailable(inbound: http2.ServerHttp2Stream, message: string): void {
  respondTrailersOnly(inbound, GRPC_STATUS_UNAVAILABLE, message);
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
