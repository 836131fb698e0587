/**
 * The local trace receiver: OTLP/HTTP JSON in (`POST /v1/traces`, what the services' exporters send),
 * the last few hundred traces kept in memory (TraceStore), and a small read API out for the web UI's
 * route inspector and `pr-canary trace`:
 *
 *   GET /api/traces?limit=N   newest first, summaries
 *   GET /api/traces/<id>      one trace, every span named by service, track and version
 *   GET /api/traces/<id>?waitMs=N   the same, but a trace that has not arrived is waited for, up to
 *                             N ms (at most 10 s), before the 404: a page that just made a request
 *                             asks once instead of polling into 404s (each one a console error)
 *
 * Loopback by default, and only for requests addressed to this machine (`Host`: DNS rebinding); reads
 * are allowed cross-origin only from the given origins (the web UI's).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorBody } from '@pr-canary/contracts/error-body';
import { addressedToThisMachine } from '@pr-canary/contracts/local-host';
import { RequestBodyError, readRequestBody } from '@pr-canary/local-kit/request-body';
import { MAX_TRACE_WAIT_MS, TRACE_ID_PATTERN } from './model';
import { decodeOtlpJson, OtlpFormatError } from './otlp-json';
import { TraceStore, type TraceStoreOptions } from './trace-store';

export interface TraceReceiverOptions extends TraceStoreOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Browser origins allowed to read traces (CORS). Default none. */
  allowedOrigins?: readonly string[];
  /** Largest export accepted (after decompression). Default 16 MiB. */
  maxBodyBytes?: number;
}

export interface TraceReceiver {
  /** Base URL: the OTLP endpoint is `${url}/v1/traces`, the read API `${url}/api/traces`. */
  url: string;
  port: number;
  store: TraceStore;
  /** Allows one more browser origin to read traces (e.g. a web server whose port was not known yet). */
  allowOrigin(origin: string): void;
  /** Reads waiting for a trace to arrive now (`?waitMs=`). */
  readonly waitingReads: number;
  close(): Promise<void>;
}

export const OTLP_TRACES_PATH = '/v1/traces';
const API_PATH = '/api/traces';
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
const DEFAULT_LIST_LIMIT = 50;
/** Reads waiting for a trace at once; later ones are answered at once. */
const MAX_WAITING_READS = 256;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startTraceReceiver(options: TraceReceiverOptions = {}): Promise<TraceReceiver> {
  const store = new TraceStore(options);
  const origins = new Set(options.allowedOrigins ?? []);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  /** Reads waiting for a trace to arrive, by trace id: each is woken once, by a span or its timer. */
  const waiting = new Map<string, Set<() => void>>();
  const waitingReads = () => {
    let count = 0;
    for (const readers of waiting.values()) count += readers.size;
    return count;
  };

  function waitForTrace(traceId: string, waitMs: number, res: ServerResponse): Promise<void> {
    if (waitMs === 0 || waitingReads() >= MAX_WAITING_READS) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        res.off('close', wake);
        const set = waiting.get(traceId);
        set?.delete(wake);
        if (set?.size === 0) waiting.delete(traceId);
        resolve();
      };
      const timer = setTimeout(wake, waitMs);
      res.on('close', wake);
      let set = waiting.get(traceId);
      if (!set) {
        set = new Set();
        waiting.set(traceId, set);
      }
      set.add(wake);
    });
  }

  function wakeReaders(spans: readonly { traceId: string }[]): void {
    if (waiting.size === 0) return;
    for (const { traceId } of spans) for (const wake of waiting.get(traceId) ?? []) wake();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const failure =
        error instanceof HttpError || error instanceof RequestBodyError
          ? error
          : new HttpError(500, 'INTERNAL', 'the receiver failed to answer');
      if (!res.headersSent)
        sendJson(res, failure.status, errorBody(failure.status, failure.code, failure.message));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A page whose own name was re-pointed at 127.0.0.1 (DNS rebinding) reaches the port but not the
    // traces: it could read every request's spans, and fill the store with its own.
    if (!addressedToThisMachine(req.headers.host, options.host ?? DEFAULT_HOST))
      throw new HttpError(
        403,
        'FORBIDDEN',
        'the trace receiver answers requests addressed to this machine only',
      );
    const url = new URL(req.url ?? '/', 'http://receiver');
    if (url.pathname === OTLP_TRACES_PATH) {
      if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'POST OTLP exports here');
      return receive(req, res);
    }
    if (url.pathname === API_PATH || url.pathname.startsWith(`${API_PATH}/`)) {
      allowCors(req, res);
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      if (req.method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'traces are read with GET');
      req.resume();
      if (url.pathname === API_PATH) return sendJson(res, 200, { traces: store.list(listLimit(url)) });
      const traceId = url.pathname.slice(API_PATH.length + 1).toLowerCase();
      if (!TRACE_ID_PATTERN.test(traceId))
        throw new HttpError(400, 'BAD_TRACE_ID', 'a trace id is 32 hexadecimal digits');
      const waitMs = waitParameter(url);
      if (!store.get(traceId)) await waitForTrace(traceId, waitMs, res);
      if (res.destroyed) return;
      const trace = store.get(traceId);
      if (!trace)
        throw new HttpError(
          404,
          'NOT_FOUND',
          `no trace ${traceId} here: it has not arrived yet, or it is older than the last ${store.maxTraces} traces`,
        );
      return sendJson(res, 200, trace);
    }
    req.resume();
    throw new HttpError(404, 'NOT_FOUND', `only ${OTLP_TRACES_PATH} and ${API_PATH} are served here`);
  }

  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      throw new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'this receiver reads OTLP/HTTP JSON only: export with OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json',
      );
    }
    const body = await readRequestBody(req, { maxBytes: maxBodyBytes, gzip: true });
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      throw new HttpError(400, 'BAD_REQUEST', 'the body is not JSON');
    }
    let decoded: ReturnType<typeof decodeOtlpJson>;
    try {
      decoded = decodeOtlpJson(payload);
    } catch (error) {
      if (error instanceof OtlpFormatError) throw new HttpError(400, 'BAD_REQUEST', error.message);
      throw error;
    }
    const dropped = store.add(decoded.spans);
    wakeReaders(decoded.spans);
    // ExportTraceServiceResponse; partial success names how many spans were not kept and why: refused
    // as unreadable, or over what the store keeps of one trace.
    const why = [
      ...(decoded.rejected > 0 ? [`${decoded.rejected} span(s) refused: ${decoded.firstRejection}`] : []),
      ...(dropped > 0 ? [`${dropped} span(s) over the ${store.maxSpansPerTrace} kept of one trace`] : []),
    ];
    sendJson(
      res,
      200,
      why.length === 0
        ? {}
        : {
            partialSuccess: {
              rejectedSpans: String(decoded.rejected + dropped),
              errorMessage: why.join('; '),
            },
          },
    );
  }

  function allowCors(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('vary', 'Origin');
    const origin = req.headers.origin;
    if (origin === undefined || !origins.has(origin)) return;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-methods', 'GET');
    res.setHeader('access-control-max-age', '600');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? DEFAULT_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    store,
    allowOrigin: (origin) => void origins.add(origin),
    get waitingReads() {
      return waitingReads();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function listLimit(url: URL): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return DEFAULT_LIST_LIMIT;
  const limit = Number(raw);
  if (!/^[0-9]{1,4}$/.test(raw) || limit < 1 || limit > 1000)
    throw new HttpError(400, 'BAD_LIMIT', 'limit is a whole number from 1 to 1000');
  return limit;
}

function waitParameter(url: URL): number {
  const raw = url.searchParams.get('waitMs');
  if (raw === null) return 0;
  if (!/^[0-9]{1,5}$/.test(raw) || Number(raw) > MAX_TRACE_WAIT_MS)
    throw new HttpError(
      400,
      'BAD_WAIT',
      `waitMs is a whole number of milliseconds from 0 to ${MAX_TRACE_WAIT_MS}`,
    );
  return Number(raw);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
