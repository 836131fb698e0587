import { ITEM_NAME_RULE as NAME_RULE } from '@pr-canary/contracts/item-fields';
import { describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../src/limits';
import { createItem, expectApiError, useStack } from '../helper';

const stack = useStack();
const app = () => stack.current.api.app;
const MISSING_ID = '01890a5d-ac96-774b-bcce-b302099a8057';

describe('items CRUD over the real store', () => {
  it('creates an item: 201, the item, its ETag and its Location', async () => {
    const response = await app().inject({
      method: 'POST',
      url: '/api/items',
      payload: { name: 'Desk lamp', description: 'brass', priceCents: 4500 },
    });
    expect(response.statusCode).toBe(201);
    const item = response.json();
    expect(item).toMatchObject({ name: 'Desk lamp', description: 'brass', priceCents: 4500, version: 1 });
    expect(Object.keys(item).sort()).toEqual(
      ['createdAt', 'description', 'id', 'name', 'priceCents', 'updatedAt', 'version'].sort(),
    );
    expect(response.headers.etag).toBe('"1"');
    expect(response.headers.location).toBe(`/api/items/${item.id}`);
  });

  it('defaults a missing description to ""', async () => {
    const item = await createItem(app(), { name: 'Bare', priceCents: 0 });
    const response = await app().inject({ method: 'GET', url: `/api/items/${item.id}` });
    expect(response.json().description).toBe('');
  });

  it('reads an item back with its ETag', async () => {
    const created = await createItem(app());
    const response = await app().inject({ method: 'GET', url: `/api/items/${created.id}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: created.id, name: 'Lamp', priceCents: 1299 });
    expect(response.headers.etag).toBe('"1"');
  });

  it('answers 404 with code NOT_FOUND for an item that does not exist', async () => {
    const response = await app().inject({ method: 'GET', url: `/api/items/${MISSING_ID}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND' });
  });

  it.each([
    ['GET', 'abc'],
    ['GET', 'a%20b'],
    ['GET', MISSING_ID.toUpperCase()],
    ['GET', '01a2011f-418a-4000-a208-faabfd7a653c'],
    ['PUT', 'not-a-uuid'],
    ['DELETE', 'not-a-uuid'],
  ] as const)(
    "%s refuses the id %j with 400 VALIDATION (the store's rule) before calling the store",
    async (method, id) => {
      const calls = stack.current.tap.seen.length;
      const response = await app().inject({
        method,
        url: `/api/items/${id}`,
        headers: { 'if-match': '"1"' },
        ...(method === 'PUT' ? { payload: { name: 'n', priceCents: 1 } } : {}),
      });
      expectApiError(response, 400, {
        code: 'VALIDATION',
        message: 'params/id must be an item id (a lower-case UUIDv7)',
      });
      expect(stack.current.tap.seen.length).toBe(calls);
    },
  );
});

describe('updates with If-Match', () => {
  it('replaces the item when If-Match names the current version, and bumps the ETag', async () => {
    const created = await createItem(app());
    const response = await app().inject({
      method: 'PUT',
      url: `/api/items/${created.id}`,
      headers: { 'if-match': '"1"' },
      payload: { name: 'Floor lamp', priceCents: 9900 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      name: 'Floor lamp',
      priceCents: 9900,
      version: 2,
      description: '',
    });
    expect(response.headers.etag).toBe('"2"');
  });

  it('answers 428 without If-Match and changes nothing', async () => {
    const created = await createItem(app());
    const response = await app().inject({
      method: 'PUT',
      url: `/api/items/${created.id}`,
      payload: { name: 'Changed', priceCents: 1 },
    });
    expect(response.statusCode).toBe(428);
    expect(response.json()).toMatchObject({ code: 'PRECONDITION_REQUIRED', error: 'Precondition Required' });
    const after = await app().inject({ method: 'GET', url: `/api/items/${created.id}` });
    expect(after.json()).toMatchObject({ name: 'Lamp', version: 1 });
  });

  const put = (id: string, ifMatch: string | undefined, name = 'changed') =>
    app().inject({
      method: 'PUT',
      url: `/api/items/${id}`,
      headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
      payload: { name, priceCents: 1 },
    });
  const current = async (id: string) =>
    (await app().inject({ method: 'GET', url: `/api/items/${id}` })).json() as {
      name: string;
      version: number;
    };

  it('answers 412 PRECONDITION_FAILED for a stale If-Match and keeps the newer write', async () => {
    const created = await createItem(app());
    expect((await put(created.id, '"1"', 'first writer')).statusCode).toBe(200);
    const stale = await put(created.id, '"1"', 'second writer');
    expect(stale.statusCode).toBe(412);
    expect(stale.json()).toMatchObject({
      statusCode: 412,
      error: 'Precondition Failed',
      code: 'PRECONDITION_FAILED',
    });
    expect(stale.json().message).toMatch(/current ETag/);
    expect(stale.headers['x-served-by']).toMatch(/^api-service;track="stable"/);
    expect(await current(created.id)).toMatchObject({ name: 'first writer', version: 2 });
  });

  it.each([
    ['a tag that is not one of our versions', '"stale-0"'],
    ['version 0', '"0"'],
    ['a version with a leading zero', '"01"'],
    ['a weak tag of the current version (strong comparison)', 'W/"1"'],
    ['a list of tags none of which is current', '"2", "3", W/"1"'],
    // The store used to add 1 to it itself: a number the SDK would not send, so a 500 for anyone.
    ['the largest version a tag can name', `"${Number.MAX_SAFE_INTEGER}"`],
  ])('answers 412 for %s and writes nothing', async (_case, ifMatch) => {
    const created = await createItem(app());
    const response = await put(created.id, ifMatch);
    expect(response.statusCode).toBe(412);
    expect(response.json()).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(await current(created.id)).toMatchObject({ name: 'Lamp', version: 1 });
  });

  it.each([
    ['*', '*'],
    ['a list whose second tag is current', '"7", "1"'],
    ['a list with a weak and a strong tag', 'W/"1", "1"'],
    ['two If-Match lines (joined into one list)', ['"9"', '"1"']],
    ['a tag with a comma inside a list', '"a,b", "1"'],
  ])('replaces the current item for If-Match %s', async (_case, ifMatch) => {
    const created = await createItem(app());
    const response = await app().inject({
      method: 'PUT',
      url: `/api/items/${created.id}`,
      // Two lines stay two values on the wire (light-my-request keeps the array).
      headers: { 'if-match': ifMatch as string },
      payload: { name: 'replaced', priceCents: 2 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ name: 'replaced', version: 2 });
    expect(response.headers.etag).toBe('"2"');
  });

  it.each([
    ['a bare number', '1'],
    ['a token', 'v1'],
    ['an unterminated tag', '"1'],
    ['a wildcard inside a list', '*, "1"'],
    ['a space inside a tag', '"1 2"'],
    ['two tags without a comma', '"1" "2"'],
    ['an empty value', ''],
    ['only commas', ' , ,'],
  ])('answers 400 for a malformed If-Match (%s) and writes nothing', async (_name, ifMatch) => {
    const created = await createItem(app());
    const response = await put(created.id, ifMatch);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION' });
    expect(response.json().message).toMatch(/^If-Match must be/);
    expect(await current(created.id)).toMatchObject({ version: 1 });
  });

  it.each([['"1"'], ['*'], ['"1", "2"'], ['"stale-0"'], [`"${Number.MAX_SAFE_INTEGER}"`], [undefined]])(
    'answers 404 for an item that does not exist, whatever the If-Match (%s), even none',
    async (ifMatch) => {
      const response = await put(MISSING_ID, ifMatch);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND' });
    },
  );

  it.each([
    // A stale tag fails its precondition (412); `*` always holds while the item exists, so a write
    // that loses the race on every try is a conflict (409), never 412.
    ['one tag', () => '"1"', [200, 412]],
    ['a list of tags', () => '"1", "2", "3", "4", "5", "6", "7"', [200, 409, 412]],
    ['*', () => '*', [200, 409]],
  ])('never loses an update under 8 concurrent writers with %s', async (_case, ifMatch, answers) => {
    const created = await createItem(app());
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => put(created.id, ifMatch(), `writer ${i}`)),
    );
    const statuses = results.map((response) => response.statusCode);
    for (const status of statuses) expect(answers).toContain(status);
    const winners = results.filter((response) => response.statusCode === 200);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    // Every success produced its own version, and the item moved exactly once per success.
    const versions = winners.map((response) => response.json().version as number);
    expect(new Set(versions).size).toBe(winners.length);
    const after = await current(created.id);
    expect(after.version).toBe(1 + winners.length);
    const last = winners.find((response) => response.json().version === after.version);
    expect(after.name).toBe(last?.json().name);
  });
});

describe('deletes', () => {
  it('answers 204, then 404 for the same item', async () => {
    const created = await createItem(app());
    const deleted = await app().inject({ method: 'DELETE', url: `/api/items/${created.id}` });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    const after = await app().inject({ method: 'GET', url: `/api/items/${created.id}` });
    expect(after.statusCode).toBe(404);
  });

  it('honours an optional If-Match: stale → 412 and the item stays; current → 204', async () => {
    const created = await createItem(app());
    const stale = await app().inject({
      method: 'DELETE',
      url: `/api/items/${created.id}`,
      headers: { 'if-match': '"5"' },
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json()).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect((await app().inject({ method: 'GET', url: `/api/items/${created.id}` })).statusCode).toBe(200);
    const current = await app().inject({
      method: 'DELETE',
      url: `/api/items/${created.id}`,
      headers: { 'if-match': '"1"' },
    });
    expect(current.statusCode).toBe(204);
  });

  it.each([
    ['*', '*', 204],
    ['a list naming the current version', '"4", "1"', 204],
    ['a weak tag', 'W/"1"', 412],
    ['a tag that is not a version', '"stale-0"', 412],
  ])('deletes with If-Match %s → %s', async (_case, ifMatch, status) => {
    const created = await createItem(app());
    const response = await app().inject({
      method: 'DELETE',
      url: `/api/items/${created.id}`,
      headers: { 'if-match': ifMatch },
    });
    expect(response.statusCode).toBe(status);
    const after = await app().inject({ method: 'GET', url: `/api/items/${created.id}` });
    expect(after.statusCode).toBe(status === 204 ? 404 : 200);
  });

  it('answers 404 for a missing item with If-Match * (404 takes precedence, RFC 9110 §13.2.1)', async () => {
    const response = await app().inject({
      method: 'DELETE',
      url: `/api/items/${MISSING_ID}`,
      headers: { 'if-match': '*' },
    });
    expect(response.statusCode).toBe(404);
  });

  it('answers 400 for a malformed If-Match on delete', async () => {
    const created = await createItem(app());
    const response = await app().inject({
      method: 'DELETE',
      url: `/api/items/${created.id}`,
      headers: { 'if-match': 'v1' },
    });
    expect(response.statusCode).toBe(400);
  });
});

describe('request validation', () => {
  it.each([
    ['an empty name', { name: '', priceCents: 1 }, `body/name ${NAME_RULE}`],
    // The store's rule, refused before calling it: it used to answer these (or store them) itself.
    ['a name of spaces', { name: '   ', priceCents: 1 }, `body/name ${NAME_RULE}`],
    [
      'a name of zero-width and bidi characters',
      { name: '\u200b\u202e', priceCents: 1 },
      `body/name ${NAME_RULE}`,
    ],
    ['a NUL in a name', { name: 'tea\u0000', priceCents: 1 }, `body/name ${NAME_RULE}`],
    ['a newline in a name', { name: 'tea\nparty', priceCents: 1 }, `body/name ${NAME_RULE}`],
    [
      'a 201-character name that is a space and 200 letters',
      { name: ` ${'n'.repeat(200)}`, priceCents: 1 },
      'body/name must NOT have more than 200 characters',
    ],
    [
      'a 201-character name',
      { name: 'n'.repeat(201), priceCents: 1 },
      'body/name must NOT have more than 200 characters',
    ],
    [
      'a 2001-character description',
      { name: 'n', description: 'd'.repeat(2001), priceCents: 1 },
      'body/description must NOT have more than 2000 characters',
    ],
    ['a negative price', { name: 'n', priceCents: -1 }, 'body/priceCents must be >= 0'],
    ['a fractional price', { name: 'n', priceCents: 1.5 }, 'body/priceCents must be integer'],
    ['a price given as a string', { name: 'n', priceCents: '12' }, 'body/priceCents must be integer'],
    ['a missing price', { name: 'n' }, 'body/priceCents is required'],
    ['an unknown property', { name: 'n', priceCents: 1, version: 9 }, 'body/version is not allowed'],
  ])('refuses %s with 400 VALIDATION naming the field', async (_case, payload, message) => {
    const response = await app().inject({ method: 'POST', url: '/api/items', payload });
    expectApiError(response, 400, { code: 'VALIDATION', message });
  });

  it('refuses malformed JSON with 400 MALFORMED_JSON', async () => {
    const response = await app().inject({
      method: 'POST',
      url: '/api/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "n",',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'MALFORMED_JSON' });
  });

  it('refuses a body with a __proto__ key saying so, not only "not valid JSON"', async () => {
    const response = await app().inject({
      method: 'POST',
      url: '/api/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"__proto__": {"admin": true}, "name": "n", "priceCents": 1}',
    });
    expectApiError(response, 400, {
      code: 'MALFORMED_JSON',
      message: 'the request body is not valid JSON, or has a __proto__ or constructor.prototype key',
    });
  });

  it('refuses a non-JSON body with 415', async () => {
    const response = await app().inject({
      method: 'POST',
      url: '/api/items',
      headers: { 'content-type': 'text/plain' },
      payload: 'name=n',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await app().inject({
      method: 'POST',
      url: '/api/items',
      payload: { name: 'n', description: 'd'.repeat(BODY_LIMIT_BYTES), priceCents: 1 },
    });
    expect(response.statusCode).toBe(413);
  });
});

describe('listing with a cursor', () => {
  it('pages through every item exactly once with limit and cursor', async () => {
    const created = new Set<string>();
    for (let i = 0; i < 5; i += 1)
      created.add((await createItem(app(), { name: `page ${i}`, priceCents: i })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `limit=2&cursor=${encodeURIComponent(cursor)}` : 'limit=2';
      const response = await app().inject({ method: 'GET', url: `/api/items?${query}` });
      expect(response.statusCode).toBe(200);
      const page = response.json() as { items: { id: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of created) expect(seen).toContain(id);
  });

  it('defaults to pages of 20', async () => {
    for (let i = 0; i < 21; i += 1) await createItem(app(), { name: `bulk ${i}`, priceCents: i });
    const response = await app().inject({ method: 'GET', url: '/api/items' });
    expect(response.json().items).toHaveLength(20);
    expect(response.json().nextCursor).toEqual(expect.any(String));
  });

  it('says over HTTP what limit must be when it is out of range or not a number, never echoing it', async () => {
    for (const limit of ['0', '101', '1000', 'ten', '-1', '1.5', '01', '', '1e2']) {
      const response = await fetch(
        `${stack.current.api.baseUrl}/api/items?limit=${encodeURIComponent(limit)}`,
      );
      expect(response.status, limit).toBe(400);
      expect(await response.json(), limit).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION',
        message: 'querystring/limit must be a whole number between 1 and 100',
      });
    }
    for (const limit of ['1', '100']) {
      const response = await fetch(`${stack.current.api.baseUrl}/api/items?limit=${limit}`);
      expect(response.status, limit).toBe(200);
    }
  });

  it('says over HTTP that a query parameter given twice is given once, never echoing either value', async () => {
    for (const [name, query] of [
      ['limit', 'limit=1&limit=2'],
      ['cursor', 'cursor=sss&cursor=ttt'],
    ]) {
      const response = await fetch(`${stack.current.api.baseUrl}/api/items?${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json(), query).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION',
        message: `querystring/${name} must be given once`,
      });
    }
  });

  it('says what a cursor must be when it cannot be one', async () => {
    const response = await fetch(`${stack.current.api.baseUrl}/api/items?cursor=not%20a%20cursor`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: 'VALIDATION',
      message: 'querystring/cursor is not a nextCursor this api returned',
    });
  });

  it('answers a cursor the store did not make as one that cannot be a cursor: 400 VALIDATION', async () => {
    const response = await app().inject({ method: 'GET', url: '/api/items?cursor=Zm9vYmFy' });
    expect(response.statusCode).toBe(400);
    // In the api's words: the store's own field name (page_token) is not one a client ever sent.
    expect(response.json()).toMatchObject({
      code: 'VALIDATION',
      message: 'querystring/cursor is not a nextCursor this api returned',
    });
  });

  it('refuses unknown query parameters', async () => {
    const response = await app().inject({ method: 'GET', url: '/api/items?page=2' });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('querystring/page is not allowed');
  });

  it('refuses a query parameter on every /api/ route that takes none, before calling the store', async () => {
    const created = await createItem(app());
    const calls = stack.current.tap.seen.length;
    for (const [method, url] of [
      ['GET', '/api/route?foo=1'],
      ['GET', `/api/items/${created.id}?foo=1`],
      ['HEAD', `/api/items/${created.id}?foo=1`],
      ['DELETE', `/api/items/${created.id}?foo=1`],
      ['GET', '/api/items/export?limit=abc'],
    ] as const) {
      const response = await app().inject({ method, url, headers: { 'if-match': '*' } });
      expect(response.statusCode, `${method} ${url}`).toBe(400);
      if (method !== 'HEAD')
        expect(response.json().message).toMatch(/^querystring\/(foo|limit) is not allowed$/);
    }
    expect(stack.current.tap.seen.length).toBe(calls);
    // Probes stay lenient (a monitor may add a cache-buster).
    expect((await app().inject({ url: '/healthz?t=1' })).statusCode).toBe(200);
  });
});

describe('export (server streaming)', () => {
  it('streams every item as NDJSON', async () => {
    const created = await createItem(app(), { name: 'exported', priceCents: 1 });
    const response = await fetch(`${stack.current.api.baseUrl}/api/items/export`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text()).trim().split('\n');
    const items = lines.map((line) => JSON.parse(line) as { id: string });
    expect(items.map((item) => item.id)).toContain(created.id);
  });
});

describe('unknown routes', () => {
  it('answers 404 JSON without echoing the path, with X-Served-By', async () => {
    const response = await app().inject({ method: 'GET', url: '/nope/<script>' });
    expectApiError(response, 404, {
      code: 'ROUTE_NOT_FOUND',
      message: 'no route matches this method and path',
    });
    expect(response.headers['x-served-by']).toMatch(/^api-service;track="stable"/);
  });

  it.each([
    ['PATCH', `/api/items/${MISSING_ID}`, 'GET, HEAD, PUT, DELETE'],
    ['POST', `/api/items/${MISSING_ID}`, 'GET, HEAD, PUT, DELETE'],
    ['DELETE', '/api/items?limit=<script>', 'GET, HEAD, POST'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])(
    'answers %s %s, a path served with other methods, with 405 and Allow: %s',
    async (method, url, allow) => {
      const calls = stack.current.tap.seen.length;
      const response = await fetch(`${stack.current.api.baseUrl}${url}`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
      expect(response.headers.get('x-served-by')).toMatch(/^api-service;track="stable"/);
      expect(await response.json()).toEqual({
        statusCode: 405,
        error: 'Method Not Allowed',
        code: 'METHOD_NOT_ALLOWED',
        message: `this path is served with ${allow} only`,
      });
      expect(stack.current.tap.seen.length).toBe(calls);
    },
  );

  it('logs requests by route template, never the raw URL', async () => {
    const { logLines } = stack.current.api;
    const before = logLines.length;
    await app().inject({ method: 'GET', url: '/nope/raw-path-marker?q=secret' });
    await app().inject({ method: 'GET', url: `/api/items/${MISSING_ID}?x=1` });
    const lines = logLines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.msg === 'request completed').map((line) => line.route)).toEqual([
      'unmatched',
      '/api/items/:id',
    ]);
    const text = logLines.slice(before).join('');
    expect(text).not.toContain('raw-path-marker');
    expect(text).not.toContain(MISSING_ID);
  });
});

describe('text that is not Unicode', () => {
  const createCalls = () => stack.current.tap.seen.filter((call) => call.path.endsWith('/CreateItem')).length;

  /** POSTs `body` as is over a real socket (fetch sends a byte array unchanged). */
  async function postBytes(body: Uint8Array) {
    const before = createCalls();
    const response = await fetch(`${stack.current.api.baseUrl}/api/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const json = await response.json();
    // Refused before any store call: nothing was stored.
    expect(createCalls()).toBe(before);
    return { statusCode: response.status, json: () => json };
  }

  it.each([
    ['a two-byte sequence cut short', [0xc3, 0x28]],
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated four-byte sequence', [0xf0, 0x9f, 0x98]],
  ])('refuses a body with invalid UTF-8 (%s) with 400 MALFORMED_JSON', async (_case, bytes) => {
    const body = Buffer.concat([
      Buffer.from('{"name":"ok'),
      Buffer.from(bytes),
      Buffer.from('","priceCents":1}'),
    ]);
    expectApiError(await postBytes(body), 400, {
      code: 'MALFORMED_JSON',
      message: 'the request body is not valid UTF-8',
    });
  });

  it.each([
    ['a lone high surrogate in the name', '{"name":"ok\\ud800","priceCents":1}', 'body/name'],
    [
      'a lone low surrogate in the description',
      '{"name":"ok","description":"\\udc00x","priceCents":1}',
      'body/description',
    ],
    ['a reversed pair', '{"name":"\\udc00\\ud800","priceCents":1}', 'body/name'],
    ['a lone surrogate in a property name', '{"name":"ok","priceCents":1,"\\ud800":1}', 'body'],
  ])('refuses %s with 400 VALIDATION naming the field', async (_case, text, field) => {
    expectApiError(await postBytes(Buffer.from(text)), 400, {
      code: 'VALIDATION',
      message: `${field} must be well-formed Unicode text (no lone surrogate)`,
    });
  });

  it('refuses a lone surrogate on PUT too, before If-Match is even looked at', async () => {
    const created = await createItem(app());
    const response = await app().inject({
      method: 'PUT',
      url: `/api/items/${created.id}`,
      headers: { 'content-type': 'application/json', 'if-match': '"1"' },
      payload: '{"name":"\\ud83d","priceCents":1}',
    });
    expectApiError(response, 400, {
      code: 'VALIDATION',
      message: 'body/name must be well-formed Unicode text (no lone surrogate)',
    });
    expect((await app().inject({ method: 'GET', url: `/api/items/${created.id}` })).json().version).toBe(1);
  });

  it('stores well-formed text outside the BMP, escaped or as UTF-8 bytes', async () => {
    const response = await app().inject({
      method: 'POST',
      url: '/api/items',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: Buffer.from('{"name":"lamp \\ud83d\\udca1 💡 é","priceCents":1}'),
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().name).toBe('lamp 💡 💡 é');
  });
});
