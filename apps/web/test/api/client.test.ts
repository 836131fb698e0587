import { describe, expect, it } from 'vitest';
import { createApiClient, type RoutingObservation } from '../../src/api/client';
import { ApiError } from '../../src/api/errors';
import { json, type Reply, SAMPLE_ITEM, startFakeApi } from '../helper';

const SERVED_BY_42 = 'api-service;track="pr-42";version="0.4.0", store-service;track="pr-42";version="0.4.1"';

async function clientFor(reply: Reply, canary: string | null = null, timeoutMs?: number) {
  const api = await startFakeApi(reply);
  const observations: RoutingObservation[] = [];
  const client = createApiClient({
    baseUrl: api.baseUrl,
    canary: () => canary,
    onObservation: (o) => observations.push(o),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  return { client, requests: api.requests, observations };
}

describe('createApiClient', () => {
  it('sends X-Canary for a chosen PR and reports the served-by hops of the response', async () => {
    const { client, requests, observations } = await clientFor(
      (_req, res) =>
        json(
          res,
          200,
          { items: [SAMPLE_ITEM], nextCursor: 'c2' },
          { 'x-served-by': SERVED_BY_42, 'x-canary': '42' },
        ),
      '42',
    );
    const { value: page, route } = await client.listItems({ limit: 5, cursor: 'c1' });

    expect(page).toEqual({ items: [SAMPLE_ITEM], nextCursor: 'c2' });
    expect(route).toBe(observations[0]);
    expect(requests[0]?.url).toBe('/api/items?limit=5&cursor=c1');
    expect(requests[0]?.headers['x-canary']).toBe('42');
    expect(observations).toHaveLength(1);
    expect(observations[0]).toMatchObject({
      sequence: 1,
      method: 'GET',
      path: '/api/items?limit=5&cursor=c1',
      status: 200,
      sentCanary: '42',
      echoedCanary: '42',
      warning: null,
      servedByPresent: true,
      hops: [
        { service: 'api-service', track: 'pr-42', version: '0.4.0' },
        { service: 'store-service', track: 'pr-42', version: '0.4.1' },
      ],
    });
  });

  it('sends no X-Canary on stable and passes the API warning on', async () => {
    const warning = 'invalid canary key (zero): the canary key must not be 0; served by stable';
    const { client, requests, observations } = await clientFor((_req, res) =>
      json(res, 200, { canary: null, warning, hops: [] }, { 'x-canary-warning': warning }),
    );
    const report = await client.checkRoute();

    expect(report).toEqual({ canary: null, warning, hops: [] });
    expect(requests[0]?.headers['x-canary']).toBeUndefined();
    expect(observations[0]?.warning).toBe(warning);
    expect(observations[0]?.servedByPresent).toBe(false);
  });

  it('sends a raw key once for a route check, then the chosen PR again', async () => {
    const { client, requests, observations } = await clientFor(
      (_req, res) => json(res, 200, { canary: null, warning: null, hops: [] }),
      '42',
    );
    await client.checkRoute({ rawCanary: '04x2' });
    await client.checkRoute();

    expect(requests.map((request) => request.headers['x-canary'])).toEqual(['04x2', '42']);
    expect(observations.map((observation) => observation.sentCanary)).toEqual(['04x2', '42']);
  });

  it('updates with If-Match and a JSON body, and deletes with If-Match', async () => {
    const { client, requests } = await clientFor((req, res) =>
      req.method === 'DELETE' ? res.writeHead(204).end() : json(res, 200, { ...SAMPLE_ITEM, version: 4 }),
    );
    const { value: saved } = await client.updateItem('item/1', 3, {
      name: 'Lamp',
      description: '',
      priceCents: 2500,
    });
    await client.deleteItem('item/1', 4);

    expect(saved.version).toBe(4);
    expect(requests[0]).toMatchObject({ method: 'PUT', url: '/api/items/item%2F1' });
    expect(requests[0]?.headers['if-match']).toBe('"3"');
    expect(requests[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({ name: 'Lamp', description: '', priceCents: 2500 });
    expect(requests[1]).toMatchObject({ method: 'DELETE', url: '/api/items/item%2F1' });
    expect(requests[1]?.headers['if-match']).toBe('"4"');
  });

  it('turns an API error body into an ApiError with status, code and message, still observing the route', async () => {
    const { client, observations } = await clientFor((_req, res) =>
      json(
        res,
        409,
        { statusCode: 409, error: 'Conflict', message: 'item-1 is at version 4, not 3', code: 'ABORTED' },
        { 'x-served-by': SERVED_BY_42 },
      ),
    );
    const failure = client.updateItem('item-1', 3, { name: 'x', description: '', priceCents: 1 });

    await expect(failure).rejects.toEqual(new ApiError(409, 'ABORTED', 'item-1 is at version 4, not 3'));
    expect(observations[0]?.status).toBe(409);
    expect(observations[0]?.hops).toHaveLength(2);
    expect(observations[0]?.errorMessage).toBe('item-1 is at version 4, not 3');
  });

  it('passes a 412 Precondition Failed on with its status, for the edit dialog to reload', async () => {
    const { client } = await clientFor((_req, res) =>
      json(res, 412, {
        statusCode: 412,
        error: 'Precondition Failed',
        message: 'If-Match "3" does not match the current version "4"',
        code: 'PRECONDITION_FAILED',
      }),
    );
    await expect(
      client.updateItem('item-1', 3, { name: 'x', description: '', priceCents: 1 }),
    ).rejects.toMatchObject({ status: 412, code: 'PRECONDITION_FAILED' });
  });

  it('reports the message of a 503 the router answered itself (no X-Served-By) to the inspector', async () => {
    const message = 'the PR 42 canary of api-service is declared but not running';
    const { client, observations } = await clientFor(
      (_req, res) =>
        json(res, 503, {
          statusCode: 503,
          error: 'Service Unavailable',
          message,
          code: 'CANARY_NOT_RUNNING',
        }),
      '42',
    );
    await expect(client.listItems()).rejects.toMatchObject({ status: 503, message });
    expect(observations[0]).toMatchObject({ status: 503, servedByPresent: false, errorMessage: message });
  });

  it('describes an error without a JSON body by its status', async () => {
    const { client } = await clientFor((_req, res) =>
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>'),
    );
    await expect(client.getItem('x')).rejects.toMatchObject({
      status: 502,
      code: 'HTTP',
      message: /HTTP 502/,
    });
  });

  it('rejects a success body that does not match the contract', async () => {
    const { client } = await clientFor((_req, res) => json(res, 200, { ...SAMPLE_ITEM, priceCents: -1 }));
    await expect(client.getItem('item-1')).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      message: /priceCents/,
    });
  });

  it('tells a route that fails only with X-Canary (an unreadable answer before the api) from a down API', async () => {
    const { client, observations, requests } = await clientFor((req, res) => {
      if (req.headers['x-canary']) return res.destroy();
      json(res, 200, { canary: null, warning: null, hops: [] });
    }, '42');
    await expect(client.listItems()).rejects.toMatchObject({
      status: 0,
      code: 'CANARY_ROUTE_FAILED',
      message: expect.stringContaining('not with X-Canary: 42'),
    });
    // The probe went out without the key, to /api/route.
    expect(requests.map((r) => [r.url, r.headers['x-canary']])).toEqual([
      ['/api/items', '42'],
      ['/api/route', undefined],
    ]);
    expect(observations[0]).toMatchObject({
      status: 0,
      errorMessage: expect.stringContaining('X-Canary: 42'),
    });
  });

  it('reports an unreachable API as a network error naming the URL', async () => {
    const client = createApiClient({
      baseUrl: 'http://127.0.0.1:9',
      canary: () => null,
      onObservation: () => {},
    });
    await expect(client.listItems()).rejects.toMatchObject({
      status: 0,
      code: 'NETWORK',
      message: /127\.0\.0\.1:9/,
    });
  });

  it('gives up after the timeout with a clear message', async () => {
    const { client } = await clientFor(() => {}, null, 200);
    await expect(client.checkRoute()).rejects.toMatchObject({ code: 'TIMEOUT', message: /0\.2 s/ });
  });

  it('never shows control characters from an error message', async () => {
    const { client } = await clientFor((_req, res) =>
      json(res, 400, {
        statusCode: 400,
        error: 'Bad Request',
        message: 'bad\u001b[31m name\r\n',
        code: 'VALIDATION',
      }),
    );
    await expect(client.createItem({ name: 'x', description: '', priceCents: 1 })).rejects.toMatchObject({
      message: 'bad [31m name',
      code: 'VALIDATION',
    });
  });
});
