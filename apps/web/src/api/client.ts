import {
  CANARY_HEADER,
  CANARY_WARNING_HEADER,
  parseCanaryKey,
  SERVED_BY_HEADER,
  TRACE_ID_HEADER,
} from '@pr-canary/contracts/canary-key';
import { parseServedBy, type ServedByEntry } from '@pr-canary/contracts/served-by';
import { TRACE_ID_PATTERN } from '@pr-canary/traces/model';
import { ApiError, displayText, errorFromResponse } from './errors';
import {
  type Item,
  type ItemInput,
  type ItemPage,
  parseItem,
  parseItemPage,
  parseRouteReport,
  type RouteReport,
} from './schema';

/** What one response said about its route: the headers every api-service response carries. */
export interface RoutingObservation {
  /** Increases with every request sent; lets the inspector ignore a slow, older response. */
  sequence: number;
  method: string;
  path: string;
  /** HTTP status, 0 when no response arrived. */
  status: number;
  sentCanary: string | null;
  /** `X-Canary` as echoed by the API (only a valid PR number is kept). */
  echoedCanary: string | null;
  /** `X-Canary-Warning`, made safe to display. */
  warning: string | null;
  hops: ServedByEntry[];
  servedByPresent: boolean;
  /** For an error response: the API's message (made safe to display), else null. */
  errorMessage: string | null;
  /** The request's trace (`X-Trace-Id`, 32 hex digits), when the API traced it. */
  traceId: string | null;
  at: Date;
}

/** A response's data together with the route it took: who served it is part of the answer. */
export interface Served<T> {
  value: T;
  route: RoutingObservation;
}

export interface ApiClientOptions {
  baseUrl: string;
  /** The PR number to send as `X-Canary`, read at the moment each request is made. */
  canary: () => string | null;
  onObservation: (observation: RoutingObservation) => void;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface ApiClient {
  readonly baseUrl: string;
  listItems(options?: { cursor?: string | null; limit?: number }): Promise<Served<ItemPage>>;
  getItem(id: string): Promise<Served<Item>>;
  createItem(input: ItemInput): Promise<Served<Item>>;
  updateItem(id: string, expectedVersion: number, input: ItemInput): Promise<Served<Item>>;
  deleteItem(id: string, expectedVersion: number): Promise<RoutingObservation>;
  /** GET /api/route; `rawCanary` sends that exact X-Canary value once instead of the chosen PR. */
  checkRoute(options?: { rawCanary?: string }): Promise<RouteReport>;
}

interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  ifMatchVersion?: number;
  /** X-Canary for this request only, sent as is; the chosen PR otherwise. */
  canary?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createApiClient(options: ApiClientOptions): ApiClient {
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let sequence = 0;

  async function request(spec: RequestSpec): Promise<{ body: unknown; route: RoutingObservation }> {
    const sentCanary = spec.canary ?? options.canary();
    const observation = { sequence: ++sequence, method: spec.method, path: spec.path, sentCanary };
    let response: Response;
    try {
      response = await fetchFn(`${options.baseUrl}${spec.path}`, {
        method: spec.method,
        headers: requestHeaders(spec, sentCanary),
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        mode: 'cors',
        cache: 'no-store',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      let failure = unreachable(error, options.baseUrl, timeoutMs);
      if (failure.code === 'NETWORK' && sentCanary !== null) {
        failure = (await failedOnlyWithKey(sentCanary)) ?? failure;
      }
      options.onObservation({
        ...observation,
        status: 0,
        echoedCanary: null,
        warning: null,
        hops: [],
        servedByPresent: false,
        errorMessage: failure.message,
        traceId: null,
        at: new Date(),
      });
      throw failure;
    }
    // The body is read first: an error's message belongs to what the inspector shows for it.
    let body: unknown;
    let failure: ApiError | undefined;
    try {
      body = await readBody(response);
    } catch (error) {
      failure = error instanceof ApiError ? error : errorFromResponse(response.status, undefined);
    }
    if (!failure && !response.ok) failure = errorFromResponse(response.status, body);
    const route: RoutingObservation = {
      ...observation,
      ...readRouting(response),
      errorMessage: failure ? failure.message : null,
      at: new Date(),
    };
    options.onObservation(route);
    if (failure) throw failure;
    return { body, route };
  }

  /**
   * A request with X-Canary failed at the network level. If the same API answers without the key, the
   * key's route failed before any api-service (which always answers CORS): something in front of it, a
   * router or gateway, answered itself without CORS headers, so the page cannot read why: a gateway's
   * 503 for a route with no ready endpoints, where the page and the API are on different origins. (The
   * local dev router's own answers carry CORS headers for the web UI: the page reads those.)
   */
  async function failedOnlyWithKey(key: string): Promise<ApiError | undefined> {
    try {
      const probe = await fetchFn(`${options.baseUrl}/api/route`, {
        headers: { accept: 'application/json' },
        mode: 'cors',
        cache: 'no-store',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await probe.body?.cancel();
      if (!probe.ok) return undefined;
    } catch {
      return undefined;
    }
    return new ApiError(
      0,
      'CANARY_ROUTE_FAILED',
      `The API answers without X-Canary, but not with X-Canary: ${key}: that route failed before reaching an api-service, and its answer is not readable by this page (no CORS headers). Is PR ${key}'s api canary declared but not running?`,
    );
  }

  async function served<T>(spec: RequestSpec, parse: (body: unknown) => T): Promise<Served<T>> {
    const { body, route } = await request(spec);
    return { value: parse(body), route };
  }

  const itemPath = (id: string) => `/api/items/${encodeURIComponent(id)}`;

  return {
    baseUrl: options.baseUrl,
    async listItems({ cursor, limit } = {}) {
      const query = new URLSearchParams();
      if (limit !== undefined) query.set('limit', String(limit));
      if (cursor) query.set('cursor', cursor);
      const suffix = query.size > 0 ? `?${query}` : '';
      return served({ method: 'GET', path: `/api/items${suffix}` }, parseItemPage);
    },
    getItem(id) {
      return served({ method: 'GET', path: itemPath(id) }, parseItem);
    },
    createItem(input) {
      return served({ method: 'POST', path: '/api/items', body: input }, parseItem);
    },
    updateItem(id, expectedVersion, input) {
      const spec = {
        method: 'PUT',
        path: itemPath(id),
        body: input,
        ifMatchVersion: expectedVersion,
      } as const;
      return served(spec, parseItem);
    },
    async deleteItem(id, expectedVersion) {
      const spec = { method: 'DELETE', path: itemPath(id), ifMatchVersion: expectedVersion } as const;
      return (await request(spec)).route;
    },
    async checkRoute({ rawCanary } = {}) {
      const spec: RequestSpec = { method: 'GET', path: '/api/route' };
      if (rawCanary !== undefined) spec.canary = rawCanary;
      return parseRouteReport((await request(spec)).body);
    },
  };
}

function requestHeaders(spec: RequestSpec, canary: string | null): Headers {
  const headers = new Headers({ accept: 'application/json' });
  if (spec.body !== undefined) headers.set('content-type', 'application/json');
  if (canary !== null) headers.set(CANARY_HEADER, canary);
  if (spec.ifMatchVersion !== undefined) headers.set('if-match', `"${spec.ifMatchVersion}"`);
  return headers;
}

function readRouting(response: Response) {
  const servedBy = response.headers.get(SERVED_BY_HEADER);
  const echoed = parseCanaryKey(response.headers.get(CANARY_HEADER));
  const warning = response.headers.get(CANARY_WARNING_HEADER);
  const traceId = response.headers.get(TRACE_ID_HEADER);
  return {
    traceId: traceId !== null && TRACE_ID_PATTERN.test(traceId) ? traceId : null,
    status: response.status,
    echoedCanary: echoed.kind === 'valid' ? echoed.pr : null,
    warning: warning ? displayText(warning) : null,
    hops: parseServedBy(servedBy ?? undefined),
    servedByPresent: servedBy !== null,
  };
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (text === '') return undefined;
  if (!(response.headers.get('content-type') ?? '').includes('json')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(
      response.status,
      'BAD_RESPONSE',
      `The API sent invalid JSON (HTTP ${response.status}).`,
    );
  }
}

function unreachable(error: unknown, baseUrl: string, timeoutMs: number): ApiError {
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return new ApiError(0, 'TIMEOUT', `The API at ${baseUrl} did not answer within ${timeoutMs / 1000} s.`);
  }
  return new ApiError(
    0,
    'NETWORK',
    `Could not reach the API at ${baseUrl}. It may be down, or it does not allow this page's origin (CORS).`,
  );
}
