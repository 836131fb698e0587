/**
 * App-wide behaviour over a real listening socket: liveness/readiness, CORS (preflights always land
 * on stable, so stable must answer them), served-by on every response, and the metrics endpoint.
 */
import { startMetricsServer } from '@pr-canary/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiConfig, type Stack, startApi, startStack, stopStack, TEST_VERSION } from './helper';

const ALLOWED = 'https://app.example.com';
const OTHER_ALLOWED = 'http://localhost:5173';
let stack: Stack | undefined;

beforeAll(async () => {
  stack = await startStack({ CORS_ALLOWED_ORIGINS: `${ALLOWED},${OTHER_ALLOWED}` });
});

afterAll(async () => {
  if (stack) await stopStack(stack);
});

function running(): Stack {
  if (!stack) throw new Error('the stack did not start');
  return stack;
}

const url = (path: string) => `${running().api.baseUrl}${path}`;

function preflight(origin: string, requestHeaders = 'x-canary, content-type, if-match, baggage') {
  return fetch(url('/api/items/abc'), {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'PUT',
      'access-control-request-headers': requestHeaders,
    },
  });
}

describe('health endpoints', () => {
  it('GET /healthz is 200 and carries X-Served-By', async () => {
    const response = await fetch(url('/healthz'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('x-served-by')).toBe(`api-service;track="stable";version="${TEST_VERSION}"`);
  });

  it('GET /readyz is 200 when the store serves', async () => {
    const response = await fetch(url('/readyz'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin with the allowed methods and headers', async () => {
    const response = await preflight(ALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT, DELETE');
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'x-canary, baggage, content-type, if-match',
    );
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect(response.headers.get('x-served-by')).toMatch(/^api-service;track="stable"/);
  });

  it('answers a preflight from a disallowed origin without Access-Control-Allow-Origin (still with X-Served-By)', async () => {
    const response = await preflight('https://evil.example.net');
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('x-served-by')).toMatch(/^api-service;track="stable"/);
  });

  it('answers an OPTIONS request that is no preflight with the JSON error (not plain text)', async () => {
    for (const headers of [{ origin: ALLOWED }, { 'access-control-request-method': 'PUT' }, {}]) {
      const response = await fetch(url('/api/route'), { method: 'OPTIONS', headers });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ statusCode: 400, code: 'BAD_PREFLIGHT' });
      expect(response.headers.get('x-served-by')).toMatch(/^api-service;track="stable"/);
    }
  });

  it('exposes the canary headers, the trace id, ETag and Location to an allowed origin on real requests', async () => {
    const response = await fetch(url('/api/route'), { headers: { origin: OTHER_ALLOWED, 'x-canary': '42' } });
    expect(response.headers.get('access-control-allow-origin')).toBe(OTHER_ALLOWED);
    const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
    expect(exposed.sort()).toEqual([
      'etag',
      'location',
      'x-canary',
      'x-canary-warning',
      'x-served-by',
      'x-trace-id',
    ]);
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect(response.headers.get('x-canary')).toBe('42');
  });

  it('lets an allowed origin read the errors answered before any hook runs (an over-long id, a bad URL)', async () => {
    const reference = await fetch(url('/api/items/not-an-id'), { headers: { origin: ALLOWED } });
    expect(reference.status).toBe(400);
    for (const path of [`/api/items/${'a'.repeat(100)}`, '/api/items/%E0%A4%A']) {
      const response = await fetch(url(path), { headers: { origin: ALLOWED } });
      expect(response.status, path).toBe(400);
      for (const header of ['access-control-allow-origin', 'access-control-expose-headers', 'vary'])
        expect(response.headers.get(header), `${path} ${header}`).toBe(reference.headers.get(header));
      const other = await fetch(url(path), { headers: { origin: 'https://evil.example.net' } });
      expect(other.headers.get('access-control-allow-origin'), path).toBeNull();
    }
  });

  it('gives a disallowed origin no Access-Control-Allow-Origin on real requests', async () => {
    const response = await fetch(url('/api/route'), { headers: { origin: 'https://evil.example.net' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('request log lines', () => {
  it('carry their own request id (the per-request logger is made when a line is written)', async () => {
    const { api } = running();
    const before = api.logLines.length;
    await fetch(url('/healthz'));
    await fetch(url('/api/route'));
    const lines = api.logLines
      .slice(before)
      .map(
        (line) => JSON.parse(line) as { msg: string; reqId?: string; route?: string; statusCode?: number },
      );
    const completed = lines.filter((line) => line.msg === 'request completed');
    expect(completed.map(({ route, statusCode }) => ({ route, statusCode }))).toEqual([
      { route: '/healthz', statusCode: 200 },
      { route: '/api/route', statusCode: 200 },
    ]);
    expect(completed[0]?.reqId).toMatch(/^req-/);
    expect(completed[1]?.reqId).toMatch(/^req-/);
    expect(completed[0]?.reqId).not.toBe(completed[1]?.reqId);
  });
});

describe('without CORS_ALLOWED_ORIGINS', () => {
  it('does no CORS: a preflight gets the JSON 404, a response no CORS header and Vary only X-Canary', async () => {
    const api = await startApi(apiConfig({ STORE_ADDR: running().tap.addr }));
    try {
      const preflight = await fetch(`${api.baseUrl}/api/items/abc`, {
        method: 'OPTIONS',
        headers: { origin: ALLOWED, 'access-control-request-method': 'PUT' },
      });
      expect(preflight.status).toBe(404);
      expect(await preflight.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
      expect(preflight.headers.get('x-served-by')).toContain('api-service');
      const response = await fetch(`${api.baseUrl}/api/route`, { headers: { origin: ALLOWED } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-expose-headers')).toBeNull();
      expect(response.headers.get('vary')).toBe('X-Canary');
    } finally {
      await api.close();
    }
  });
});

describe('metrics', () => {
  it('exposes the labelled series with route templates, never raw paths or header values', async () => {
    const item = await fetch(url('/api/items'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-canary': '42' },
      body: JSON.stringify({ name: 'metered', priceCents: 1 }),
    });
    const { id } = (await item.json()) as { id: string };
    await fetch(url(`/api/items/${id}`), { headers: { 'x-canary': 'not-a-pr' } });
    await fetch(url('/no/such/route'));

    const metricsServer = await startMetricsServer({
      metrics: running().api.metrics,
      port: 0,
      host: '127.0.0.1',
    });
    try {
      const text = await (await fetch(`http://127.0.0.1:${metricsServer.port}/metrics`)).text();
      expect(text).toMatch(
        /pr_canary_http_requests_total\{[^}]*method="POST"[^}]*route="\/api\/items"[^}]*status_code="201"[^}]*canary="present"[^}]*\} 1/,
      );
      expect(text).toMatch(
        /pr_canary_http_requests_total\{[^}]*route="\/api\/items\/:id"[^}]*canary="invalid"/,
      );
      expect(text).toMatch(/pr_canary_http_requests_total\{[^}]*route="unmatched"[^}]*status_code="404"/);
      expect(text).toMatch(
        /pr_canary_invalid_canary_key_total\{source="http",reason="not_digits",track="stable"\}/,
      );
      expect(text).toMatch(
        /pr_canary_grpc_client_handled_total\{grpc_service="store.v1.ItemsService",grpc_method="GetItem",grpc_code="OK",track="stable"\}/,
      );
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(text).not.toContain(id);
      expect(text).not.toContain('not-a-pr');
      expect(text).not.toContain('/no/such/route');
    } finally {
      await metricsServer.close();
    }
  });
});
