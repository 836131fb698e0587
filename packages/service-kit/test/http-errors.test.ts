import Fastify from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { errorBody, installHttpErrorHandling } from '../src/http-errors';

class OutOfStockError extends Error {}

/** A Fastify app with the kit's error handling (OutOfStockError mapped by the "service"), and what it logged. */
function app() {
  const logged: unknown[] = [];
  const server = Fastify({ bodyLimit: 64, logger: false });
  server.log.error = ((fields: unknown) => logged.push(fields)) as typeof server.log.error;
  installHttpErrorHandling(server, {
    map: (err) =>
      err instanceof OutOfStockError
        ? { body: errorBody(409, 'OUT_OF_STOCK', 'the item is out of stock'), internal: false }
        : undefined,
  });
  server.post(
    '/items',
    { schema: { body: { type: 'object', properties: { priceCents: { type: 'integer', minimum: 0 } } } } },
    async () => ({ ok: true }),
  );
  server.get('/stock', async () => {
    throw new OutOfStockError('row 7 of table stock-eu');
  });
  server.get('/boom', async () => {
    throw new Error('db password is hunter2');
  });
  onTestFinished(() => server.close());
  return { server, logged };
}

describe('installHttpErrorHandling', () => {
  it("maps the service's own errors first, with its own body", async () => {
    const response = await app().server.inject('/stock');
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual(errorBody(409, 'OUT_OF_STOCK', 'the item is out of stock'));
    expect(response.json()).toMatchObject({ error: 'Conflict' });
  });

  it.each([
    [
      'a schema violation',
      { payload: { priceCents: -5 } },
      400,
      'VALIDATION',
      'body/priceCents must be >= 0',
    ],
    ['malformed JSON', { json: '{"priceCents": <script>' }, 400, 'MALFORMED_JSON', undefined],
    [
      'an unsupported media type',
      { type: 'application/x-evil<script>' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      undefined,
    ],
    ['a body over the limit', { payload: { pad: 'x'.repeat(100) } }, 413, 'BODY_TOO_LARGE', undefined],
  ] as const)(
    "answers %s with fixed text that names the field at most, never the request's input",
    async (_what, request, status, code, message) => {
      const headers =
        'json' in request
          ? { 'content-type': 'application/json' }
          : 'type' in request
            ? { 'content-type': request.type }
            : undefined;
      const payload = 'json' in request ? request.json : 'type' in request ? 'x' : request.payload;
      const response = await app().server.inject({ method: 'POST', url: '/items', headers, payload });
      expect(response.json()).toMatchObject({ statusCode: status, code, ...(message ? { message } : {}) });
      expect(response.body).not.toMatch(/script|evil/);
    },
  );

  it('answers an unknown route with a JSON 404', async () => {
    expect((await app().server.inject('/nowhere')).json()).toMatchObject({
      statusCode: 404,
      code: 'ROUTE_NOT_FOUND',
    });
  });

  it.each([
    ['DELETE', '/items', 'POST'],
    ['POST', '/stock?x=<script>', 'GET, HEAD'],
  ])(
    'answers %s %s, a path with routes for other methods, with 405 and Allow: %s',
    async (method, url, allow) => {
      const response = await app().server.inject({ method: method as 'POST', url });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe(allow);
      expect(response.json()).toEqual(
        errorBody(405, 'METHOD_NOT_ALLOWED', `this path is served with ${allow} only`),
      );
    },
  );

  it('keeps the 404 for OPTIONS (a CORS preflight where there is no CORS)', async () => {
    const response = await app().server.inject({ method: 'OPTIONS', url: '/items' });
    expect(response.statusCode).toBe(404);
    expect(response.headers.allow).toBeUndefined();
  });

  it('answers anything else with a fixed 500, and logs the error instead', async () => {
    const { server, logged } = app();
    const response = await server.inject('/boom');
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual(errorBody(500, 'INTERNAL', 'internal error'));
    expect(response.body).not.toContain('hunter2');
    expect(logged).toEqual([{ err: expect.objectContaining({ message: 'db password is hunter2' }) }]);
  });
});

describe("installHttpErrorHandling's pattern rules", () => {
  it("says what a field's pattern asks for in the service's words, and 'not in the expected format' without a rule", async () => {
    const server = Fastify({ logger: false });
    installHttpErrorHandling(server, {
      patternRules: { 'querystring/code': 'must be three capital letters' },
    });
    const pattern = { type: 'string', pattern: '^[A-Z]{3}$' };
    server.get(
      '/rates',
      { schema: { querystring: { type: 'object', properties: { code: pattern, date: pattern } } } },
      async () => ({ ok: true }),
    );
    onTestFinished(() => server.close());
    const ruled = await server.inject('/rates?code=eur<script>');
    expect(ruled.json()).toEqual(
      errorBody(400, 'VALIDATION', 'querystring/code must be three capital letters'),
    );
    const unruled = await server.inject('/rates?date=2026');
    expect(unruled.json()).toEqual(
      errorBody(400, 'VALIDATION', 'querystring/date is not in the expected format'),
    );
  });
});
