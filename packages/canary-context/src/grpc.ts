import * as grpc from '@grpc/grpc-js';
import type { Context, Span, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import {
  ABSENT_KEY,
  CANARY_HEADER,
  type CanaryKey,
  parseCanaryKey,
  SERVED_BY_HEADER,
} from '@pr-canary/contracts/canary-key';
import { isGrpcServerFault } from '@pr-canary/contracts/grpc-faults';
import {
  formatServedBy,
  MAX_SERVED_BY_ENTRIES,
  parseServedBy,
  type ServedByEntry,
} from '@pr-canary/contracts/served-by';
import { type CanaryScope, createScope, currentScope, runInScope } from './context';
import { assertValidIdentity, type InstanceIdentity, identityEntry } from './identity';
import { canaryLabel, type ServiceMetrics } from './metrics';
import { isTracingActive, otelApi } from './otel-api';
import {
  type BaggageCarrier,
  canaryFromBaggage,
  contextWithCanaryBaggage,
  PROBE_GRPC_SERVICES,
  rewriteCanaryBaggage,
} from './otel-context';
import {
  CANARY_KEY_ATTRIBUTE,
  callerContext,
  canaryKeyAttribute,
  endSpan,
  failSpan,
  inTracedRequest,
  namesCallerSpan,
  startClientSpan,
  startServerSpan,
} from './spans';

/** The W3C baggage metadata key. */
const BAGGAGE_KEY = 'baggage';

/** W3C baggage in gRPC metadata (`baggage`), for OTel's propagator. */
const METADATA_BAGGAGE: BaggageCarrier<grpc.Metadata> = {
  getter: {
    keys: (metadata) => Object.keys(metadata.getMap()),
    get: (metadata, key) => {
      const values = stringValues(metadata, key);
      return values.length > 0 ? values : undefined;
    },
  },
  setter: { set: (metadata, key, value) => metadata.set(key, value) },
  clear: (metadata) => metadata.remove(BAGGAGE_KEY),
};

/** W3C trace context (and baggage) in and out of gRPC metadata. */
const metadataSetter: TextMapSetter<grpc.Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};
const metadataGetter: TextMapGetter<grpc.Metadata> = {
  get: (metadata, key) => {
    const values = stringValues(metadata, key);
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
  },
  keys: (metadata) => Object.keys(metadata.getMap()),
};

function rpcAttributes(service: string, method: string, key: CanaryKey) {
  return {
    'rpc.system': 'grpc',
    'rpc.service': service,
    'rpc.method': method,
    [CANARY_KEY_ATTRIBUTE]: canaryKeyAttribute(key),
  };
}

/**
 * Ends a call's span with its gRPC status (a failure named, never its peer-sent details unbounded).
 * As OpenTelemetry's gRPC conventions say: a client span fails on any status but OK; a server span
 * only on the server's own faults (GRPC_SERVER_FAULT_CODES, the set the verdict counts) — NOT_FOUND
 * or INVALID_ARGUMENT is the server answering the request, not the server failing.
 */
function endRpcSpan(
  span: Span,
  kind: 'client' | 'server',
  code: grpc.status,
  details: string | undefined,
): void {
  span.setAttribute('rpc.grpc.status_code', code);
  const name = statusName(code);
  if (code !== grpc.status.OK && (kind === 'client' || isGrpcServerFault(name)))
    failSpan(span, details ? `${name}: ${details}` : name);
  endSpan(span);
}

export interface CanaryClientInterceptorOptions {
  /** Called with the served-by entries of each completed call (whether or not a scope is active). */
  onServedBy?: (entries: ServedByEntry[]) => void;
  /** Records `pr_canary_grpc_client_*` for every call made through the interceptor. */
  metrics?: ServiceMetrics;
}

/**
 * Client side, unary and streaming. Inside a canary scope it sets `x-canary` and W3C baggage `canary`
 * for a valid key and removes both otherwise (an invalid key is never propagated); outside a scope the
 * caller's metadata is left alone. It appends `x-served-by` entries to the scope's downstream chain as
 * soon as the response headers arrive, then any further ones from the trailers (entries already in the
 * chain are skipped), and runs the caller's listener callbacks inside the scope.
 */
export function canaryClientInterceptor(opts: CanaryClientInterceptorOptions = {}): grpc.Interceptor {
  // Tracing starts before the app (register), so this is known when the client is made.
  const tracing = isTracingActive();
  return (options, nextCall) => {
    const scope = currentScope();
    const path = options.method_definition.path;
    const { service, method } = splitMethodPath(path);
    const started = performance.now();
    // One client span per call made in a traced request, a child of its span; its traceparent goes out
    // in the metadata. A call outside any request (the api's readiness check) starts no trace.
    const call =
      tracing && inTracedRequest()
        ? startClientSpan(path.slice(1), rpcAttributes(service, method, scope?.key ?? ABSENT_KEY))
        : undefined;
    let headerEntries: readonly ServedByEntry[] = [];
    const requester: grpc.Requester = {
      start(metadata, _listener, next) {
        call?.inject(metadata, metadataSetter);
        if (scope) applyCanaryMetadata(metadata, scope.key);
        next(metadata, {
          onReceiveMetadata(responseMetadata, nextMetadata) {
            headerEntries = servedByFromMetadata(responseMetadata);
            // Streams: a response may be under way long before the status, so record the hop now.
            if (scope) appendDownstream(scope, headerEntries);
            inScope(scope, nextMetadata, responseMetadata);
          },
          onReceiveMessage(message, nextMessage) {
            inScope(scope, nextMessage, message);
          },
          onReceiveStatus(status, nextStatus) {
            const trailerEntries = servedByFromMetadata(status.metadata);
            const entries = trailerEntries.length > 0 ? trailerEntries : headerEntries;
            if (scope) appendDownstream(scope, entries);
            if (entries.length > 0) opts.onServedBy?.([...entries]);
            opts.metrics?.recordGrpcClientCall({
              service,
              method,
              code: statusName(status.code),
              seconds: (performance.now() - started) / 1000,
            });
            if (call) endRpcSpan(call.span, 'client', status.code, status.details);
            inScope(scope, nextStatus, status);
          },
        });
      },
    };
    return new grpc.InterceptingCall(nextCall(options), requester);
  };
}

/** Calls `fn(arg)` inside the caller's scope (entered only when it is not the current one already). */
function inScope<T>(scope: CanaryScope | undefined, fn: (arg: T) => void, arg: T): void {
  if (scope === undefined || currentScope() === scope) fn(arg);
  else runInScope(scope, () => fn(arg));
}

/**
 * Makes `x-canary` and baggage `canary` say exactly `key` (both removed unless it is valid). Metadata
 * without baggage (a caller's fresh metadata without tracing) gets the one member straight away; any
 * other baggage is rewritten by OTel's propagator, which keeps its other members.
 */
function applyCanaryMetadata(metadata: grpc.Metadata, key: CanaryKey): void {
  const pr = key.kind === 'valid' ? key.pr : undefined;
  if (pr === undefined) metadata.remove(CANARY_HEADER);
  else metadata.set(CANARY_HEADER, pr);
  if (metadata.get(BAGGAGE_KEY).length > 0) rewriteCanaryBaggage(metadata, key, METADATA_BAGGAGE);
  else if (pr !== undefined) metadata.set(BAGGAGE_KEY, canaryBaggage(pr));
}

/**
 * The baggage a call carries for a valid key when the caller sent none: `canary=<pr>`, as OTel's
 * propagator writes it (computed by it once per PR; bounded, a stream of new keys only refills it).
 */
const CANARY_BAGGAGE_LIMIT = 256;
const canaryBaggageValues = new Map<string, string>();

function canaryBaggage(pr: string): string {
  let value = canaryBaggageValues.get(pr);
  if (value === undefined) {
    const carrier = new grpc.Metadata();
    rewriteCanaryBaggage(carrier, { kind: 'valid', pr }, METADATA_BAGGAGE);
    value = String(carrier.get(BAGGAGE_KEY)[0]);
    if (canaryBaggageValues.size >= CANARY_BAGGAGE_LIMIT) canaryBaggageValues.clear();
    canaryBaggageValues.set(pr, value);
  }
  return value;
}

/** Adds entries in call order; an entry already in the chain (same service, track, version) is not repeated. */
function appendDownstream(scope: CanaryScope, entries: readonly ServedByEntry[]): void {
  const { downstream } = scope;
  // Plain loops: this runs for every call, and a chain is a few entries.
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as ServedByEntry;
    if (downstream.length >= MAX_SERVED_BY_ENTRIES) return;
    let seen = false;
    for (let j = 0; j < downstream.length && !seen; j++) {
      const e = downstream[j] as ServedByEntry;
      seen =
        e === entry ||
        (e.service === entry.service && e.track === entry.track && e.version === entry.version);
    }
    if (!seen) downstream.push(entry);
  }
}

export interface CanaryServerInterceptorOptions {
  identity: InstanceIdentity;
  /** When false, `x-canary` and baggage `canary` are ignored and every call is served as stable. */
  trustKey: boolean;
  metrics?: ServiceMetrics;
}

/**
 * Server side, unary and streaming. Validates `x-canary` (falling back to baggage `canary` when the
 * metadata entry is absent), rewrites both in the incoming metadata to the validated key (so an
 * untrusted or invalid value cannot reach the handler or OTel's baggage), runs the handler and everything it starts inside the canary scope (and
 * OTel baggage), answers with `x-served-by` in initial metadata and again in trailers, counts invalid
 * keys and records `pr_canary_grpc_server_*`.
 */
export function canaryServerInterceptor(opts: CanaryServerInterceptorOptions): grpc.ServerInterceptor {
  assertValidIdentity(opts.identity);
  const own = Object.freeze(identityEntry(opts.identity));
  /** The served-by value of every call that made no downstream call of its own. */
  const ownServedBy = formatServedBy([own]);
  // Tracing starts before the app (register): without a tracer provider there is no OTel context
  // to carry baggage in, so the call runs in the canary scope alone.
  const tracing = isTracingActive();
  return (methodDescriptor, call) => {
    const { service, method } = splitMethodPath(methodDescriptor.path);
    const started = process.hrtime.bigint();
    // grpc-js starts unary and server-streaming handlers at half-close, once it has the request;
    // client- and bidi-streaming ones start with the metadata and run on every message. Only those
    // need the scope entered for each event (entering it costs a context frame per event).
    const streamsRequests = methodDescriptor.requestStream;
    let scope = createScope(ABSENT_KEY);
    // The OTel context (server span, baggage `canary`) of this call, built once its key is known.
    let callContext: Context | undefined;
    let span: Span | undefined;
    const endCallSpan = (code: grpc.status, details?: string) => {
      if (span) endRpcSpan(span, 'server', code, details);
      span = undefined;
    };
    let recorded = false;
    const inScope = (fn: () => void) => {
      if (!tracing) return runInScope(scope, fn);
      callContext ??= contextWithCanaryBaggage(scope.key);
      otelApi().context.with(callContext, runInScope, undefined, scope, fn);
    };
    const servedBy = () =>
      scope.downstream.length === 0 ? ownServedBy : formatServedBy([own, ...scope.downstream]);
    const record = (code: string) => {
      if (recorded) return;
      recorded = true;
      opts.metrics?.recordGrpcServerCall({
        service,
        method,
        code,
        canary: canaryLabel(scope.key),
        seconds: since(started),
      });
    };
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const key = opts.trustKey ? canaryKeyFromMetadata(metadata) : ABSENT_KEY;
            if (key.kind === 'invalid') opts.metrics?.countInvalidKey('grpc', key.reason);
            // The handler (and OTel's extraction from its metadata) sees only the validated key.
            applyCanaryMetadata(metadata, key);
            scope = createScope(key);
            callContext = undefined;
            const caller = tracing ? callerContext(metadata, metadataGetter) : undefined;
            // A probe's health check (no caller's span) starts no trace: see PROBE_GRPC_SERVICES.
            if (caller && (!PROBE_GRPC_SERVICES.has(service) || namesCallerSpan(caller))) {
              // A server span whose parent is the caller's traceparent; it ends with the status.
              const server = startServerSpan(
                methodDescriptor.path.slice(1),
                caller,
                rpcAttributes(service, method, key),
              );
              span = server.span;
              callContext = contextWithCanaryBaggage(key, server.context);
            }
            if (streamsRequests) inScope(() => nextMetadata(metadata));
            else nextMetadata(metadata);
          },
          onReceiveMessage(message, nextMessage) {
            if (streamsRequests) inScope(() => nextMessage(message));
            else nextMessage(message);
          },
          onReceiveHalfClose(nextHalfClose) {
            inScope(() => nextHalfClose());
          },
          onCancel() {
            record(statusName(grpc.status.CANCELLED));
            endCallSpan(grpc.status.CANCELLED, 'cancelled by the client');
          },
        });
      },
      sendMetadata(metadata, next) {
        metadata.set(SERVED_BY_HEADER, servedBy());
        next(metadata);
      },
      sendStatus(status, next) {
        const trailers = status.metadata ?? new grpc.Metadata();
        trailers.set(SERVED_BY_HEADER, servedBy());
        record(statusName(status.code));
        endCallSpan(status.code, status.details);
        next({ ...status, metadata: trailers });
      },
    });
  };
}

/** `x-canary` metadata when present, else the baggage `canary` member(s); validated either way. */
export function canaryKeyFromMetadata(metadata: grpc.Metadata): CanaryKey {
  const direct = stringValues(metadata, CANARY_HEADER);
  if (direct.length > 0) return parseCanaryKey(direct);
  const fromBaggage = canaryFromBaggage(metadata, METADATA_BAGGAGE.getter);
  return fromBaggage.length === 0 ? ABSENT_KEY : parseCanaryKey(fromBaggage);
}

function servedByFromMetadata(metadata: grpc.Metadata | undefined): readonly ServedByEntry[] {
  if (!metadata) return [];
  const values = metadata.get(SERVED_BY_HEADER);
  if (values.length === 0) return [];
  if (values.length === 1) return typeof values[0] === 'string' ? parsedServedBy(values[0]) : [];
  return values.flatMap((value) => (typeof value === 'string' ? parsedServedBy(value) : []));
}

/**
 * A downstream service answers with the same served-by value call after call: parse each distinct
 * value once (entries are frozen). Bounded: a peer sending ever-new values only refills the cache.
 */
const PARSED_SERVED_BY_LIMIT = 256;
const parsedServedByCache = new Map<string, readonly ServedByEntry[]>();

function parsedServedBy(value: string): readonly ServedByEntry[] {
  let entries = parsedServedByCache.get(value);
  if (entries === undefined) {
    entries = Object.freeze(parseServedBy(value));
    if (parsedServedByCache.size >= PARSED_SERVED_BY_LIMIT) parsedServedByCache.clear();
    parsedServedByCache.set(value, entries);
  }
  return entries;
}

function stringValues(metadata: grpc.Metadata, key: string): string[] {
  return metadata.get(key).filter((value): value is string => typeof value === 'string');
}

/** Split method paths, cached: they come from service definitions, a small fixed set (bounded anyway). */
const methodPaths = new Map<string, { service: string; method: string }>();
const METHOD_PATHS_LIMIT = 1024;

/** `/store.v1.ItemsService/GetItem` → service `store.v1.ItemsService`, method `GetItem`. */
function splitMethodPath(path: string): { service: string; method: string } {
  let split = methodPaths.get(path);
  if (!split) {
    const slash = path.lastIndexOf('/');
    split = { service: path.slice(1, slash), method: path.slice(slash + 1) };
    if (methodPaths.size < METHOD_PATHS_LIMIT) methodPaths.set(path, split);
  }
  return split;
}

function statusName(code: grpc.status): string {
  return grpc.status[code] ?? 'UNKNOWN';
}

function since(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
