/**
 * Responses the framework writes on its own — bad URL encoding, over-long path parameters, requests
 * Node's HTTP parser refuses, what Node would answer bare (a missing Host, an unknown Expect, a
 * CONNECT), 404/413/415/malformed JSON, and the 503s sent while the server closes —
 * all keep the API's contract over a real socket: the error shape, fixed text (never the input) and
 * X-Served-By. Raw TCP writes, so nothing between test and server fixes up the bytes.
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ITEM_ID_LENGTH, ITEM_ID_RULE } from '@pr-canary/contracts/item-id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../src/limits';
import { apiConfig, type RunningApi, startApi, TEST_VERSION, useStack } from './helper';

const stack = useStack();
const OWN_ENTRY = `api-service;track="stable";version="${TEST_VERSION}"`;
const MARKER = 'echo-marker';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

function parseResponse(raw: string): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(split + 4), raw };
}

/** Writes `request` as is and reads until the server closes the connection. */
async function rawExchange(baseUrl: string, request: string | Buffer): Promise<RawResponse> {
  const { port } = new URL(baseUrl);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.write(request);
  await once(socket, 'close');
  return parseResponse(Buffer.concat(chunks).toString('latin1'));
}

const get = (path: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;

function expectContract(response: RawResponse, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers['x-served-by']).toBe(OWN_ENTRY);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
  expect(body).toMatchObject({ statusCode: status, code });
  expect(response.raw).not.toContain(MARKER);
  expect(response.body.length).toBeLessThan(300);
  return body;
}

describe('framework errors keep the error contract', () => {
  const baseUrl = () => stack.current.api.baseUrl;

  it('a path with broken percent-encoding → 400 BAD_URL, no echo, X-Served-By and X-Canary', async () => {
    const response = await rawExchange(baseUrl(), get(`/api/items/${MARKER}%E0%A4%A`, 'X-Canary: 42\r\n'));
    expectContract(response, 400, 'BAD_URL');
    expect(response.headers['x-canary']).toBe('42');
  });

  it('a 9 KB id → 400 VALIDATION saying what an id is (no 414, no echo of the URL)', async () => {
    const response = await rawExchange(baseUrl(), get(`/api/items/${MARKER}${'a'.repeat(9000)}`));
    const body = expectContract(response, 400, 'VALIDATION');
    expect(body.message).toBe(`params/id ${ITEM_ID_RULE}`);
  });

  it('an id passes the schema and the router and reaches the store', async () => {
    const id = '0190d6c4-1f5e-7b6e-8f3a-1c2d3e4f5a6b';
    expect(id).toHaveLength(ITEM_ID_LENGTH);
    const response = await fetch(`${baseUrl()}/api/items/${id}`);
    expect(response.status).toBe(404);
    // NOT_FOUND is the store's answer: the request got there.
    expect(await response.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect(response.headers.get('x-served-by')).toMatch(/, store-service;/);
  });

  it('a longer id gets the same 400 whether the router or the schema refuses it, and never reaches the store', async () => {
    const tooLong = '0190d6c4-1f5e-7b6e-8f3a-1c2d3e4f5a6b0';
    const calls = stack.current.tap.seen.length;
    const viaRouter = await fetch(`${baseUrl()}/api/items/${tooLong}`);
    const viaSchema = await stack.current.api.app.inject({ method: 'PUT', url: `/api/items/${tooLong}` });
    const expected = {
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION',
      message: `params/id ${ITEM_ID_RULE}`,
    };
    expect(viaRouter.status).toBe(400);
    expect(await viaRouter.json()).toEqual(expected);
    expect(viaSchema.statusCode).toBe(400);
    expect(viaSchema.json()).toEqual(expected);
    expect(stack.current.tap.seen.length).toBe(calls);
  });

  it.each([
    ['a header line without a colon', `GET /healthz HTTP/1.1\r\nHost: x\r\n${MARKER}\r\n\r\n`],
    ['a control character in the method', `G\x01T /healthz HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a space in the target', `GET /${MARKER} x HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['an invalid version', `GET /healthz HTTP/9.${MARKER}\r\n\r\n`],
    [
      'a bad chunk size',
      `POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ${MARKER}\r\n`,
    ],
    [
      'content-length and chunked together',
      `POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    ],
  ])('a request Node cannot parse (%s) → 400 BAD_REQUEST with X-Served-By', async (_case, request) => {
    const response = await rawExchange(baseUrl(), request);
    expectContract(response, 400, 'BAD_REQUEST');
    expect(response.headers.connection).toBe('close');
  });

  it('HTTP/1.1 without a Host → 400 BAD_REQUEST in the shape (Node’s own has no body); HTTP/1.0 needs none', async () => {
    const noHost = await rawExchange(
      baseUrl(),
      `GET /healthz?${MARKER} HTTP/1.1\r\nX-Canary: 42\r\nConnection: close\r\n\r\n`,
    );
    expect(expectContract(noHost, 400, 'BAD_REQUEST').message).toMatch(/Host/);
    expect(noHost.headers['x-canary']).toBe('42');
    expect((await rawExchange(baseUrl(), 'GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(200);
  });

  it('an Expect other than 100-continue → 417 EXPECTATION_FAILED in the shape, and the connection closed', async () => {
    const response = await rawExchange(baseUrl(), get('/healthz', `Expect: ${MARKER}\r\nX-Canary: 42\r\n`));
    expectContract(response, 417, 'EXPECTATION_FAILED');
    expect(response.headers['x-canary']).toBe('42');
    expect(response.headers.connection).toBe('close');
    // 100-continue is still Node's: the interim 100, then the answer.
    expect((await rawExchange(baseUrl(), get('/healthz', 'Expect: 100-continue\r\n'))).raw).toMatch(
      /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /,
    );
  });

  it('a CONNECT → 501 NOT_IMPLEMENTED in the shape, and the connection closed (it was dropped unanswered)', async () => {
    const response = await rawExchange(
      baseUrl(),
      `CONNECT ${MARKER}.example:443 HTTP/1.1\r\nHost: ${MARKER}.example:443\r\n\r\n`,
    );
    expectContract(response, 501, 'NOT_IMPLEMENTED');
    expect(response.headers.connection).toBe('close');
  });

  it('headers over the size limit → 431 with X-Served-By, no echo', async () => {
    const response = await rawExchange(
      baseUrl(),
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${MARKER}${'b'.repeat(20_000)}\r\n\r\n`,
    );
    expectContract(response, 431, 'HEADERS_TOO_LARGE');
  });

  it('an unknown route → 404 ROUTE_NOT_FOUND, no echo', async () => {
    expectContract(await rawExchange(baseUrl(), get(`/${MARKER}/<x>`)), 404, 'ROUTE_NOT_FOUND');
  });

  it.each([
    [
      'a body over the limit (413)',
      413,
      'BODY_TOO_LARGE',
      `POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BODY_LIMIT_BYTES + 1}\r\nConnection: close\r\n\r\n{"name":"${MARKER}${'d'.repeat(BODY_LIMIT_BYTES + 1 - MARKER.length - 11)}"}`,
    ],
    [
      'an encoded body (415: the api reads bodies as sent)',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: br\r\nContent-Length: 29\r\nConnection: close\r\n\r\n{"name":"x","priceCents":450}`,
    ],
    [
      'a body declared in another charset (415, not "not UTF-8")',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      Buffer.from(
        'POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json; charset=iso-8859-1\r\nContent-Length: 30\r\nConnection: close\r\n\r\n{"name":"caf\xe9","priceCents":1}',
        'latin1',
      ),
    ],
    [
      'a text body (415)',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${MARKER.length}\r\nConnection: close\r\n\r\n${MARKER}`,
    ],
    [
      'malformed JSON (400)',
      400,
      'MALFORMED_JSON',
      `POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${MARKER.length + 2}\r\nConnection: close\r\n\r\n{${MARKER}"`,
    ],
  ])('%s keeps the shape and X-Served-By over a socket', async (_case, status, code, request) => {
    expectContract(await rawExchange(baseUrl(), request), status, code);
  });

  it('a body declared UTF-8 in any spelling is taken', async () => {
    for (const contentType of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"']) {
      const response = await fetch(`${baseUrl()}/api/items`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: JSON.stringify({ name: 'café', priceCents: 1 }),
      });
      expect(response.status, contentType).toBe(201);
    }
  });

  it('takes the largest valid item with every character escaped (12 bytes a character): under the body limit', async () => {
    const escaped = (count: number) => '\\uD83D\\uDE00'.repeat(count);
    const body = `{"name":"${escaped(200)}","description":"${escaped(2000)}","priceCents":450}`;
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT_BYTES);
    const response = await fetch(`${baseUrl()}/api/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(201);
    const item = (await response.json()) as { name: string; description: string };
    expect([...item.name]).toHaveLength(200);
    expect(item.description).toBe('😀'.repeat(2000));
  });
});

describe('while the server closes', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let api: RunningApi;
  let storeContacted: Promise<void>;

  beforeAll(async () => {
    // A store that accepts connections and never answers: /readyz then waits for its deadline,
    // which keeps a request in flight while the server starts closing.
    let contacted: () => void = () => {};
    storeContacted = new Promise((resolve) => {
      contacted = resolve;
    });
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => contacted());
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    api = await startApi(apiConfig({ STORE_ADDR: `127.0.0.1:${port}`, READINESS_DEADLINE_MS: '1500' }));
  });

  afterAll(async () => {
    await api?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
  });

  it('answers a request that arrives during close with 503 SHUTTING_DOWN, the shape and the headers', async () => {
    const { port } = new URL(api.baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The first request waits on the silent store, so the connection is busy when close starts;
    // the second arrives on it after that.
    socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
    await storeContacted;
    const closed = api.app.close();
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Canary: 42\r\n\r\n');
    await once(socket, 'close');
    await closed;
    const text = Buffer.concat(chunks).toString('latin1');
    const second = text.indexOf('HTTP/1.1', 1);
    expect(second).toBeGreaterThan(0);
    const response = parseResponse(text.slice(second));
    expectContract(response, 503, 'SHUTTING_DOWN');
    expect(response.headers['x-canary']).toBe('42');
    expect(response.headers.connection).toBe('close');
  });
});

describe('a request that stops arriving', () => {
  let api: RunningApi;

  beforeAll(async () => {
    // No store call is made: the requests never get that far.
    api = await startApi(apiConfig({ STORE_ADDR: '127.0.0.1:9', REQUEST_TIMEOUT_MS: '300' }));
  });

  afterAll(async () => {
    await api?.close();
  });

  it('the default timeout is bounded, and Node checks for it often enough', () => {
    const { server } = stack.current.api.app;
    expect(stack.current.api.config.REQUEST_TIMEOUT_MS).toBe(30_000);
    expect(server.requestTimeout).toBe(30_000);
    expect(server.headersTimeout).toBeLessThanOrEqual(30_000);
  });

  it.each([
    [
      'its body stops',
      `POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`,
    ],
    ['its headers stop', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-${MARKER}: 1\r\n`],
  ])('%s → 408 REQUEST_TIMEOUT in the error shape, then the connection is closed', async (_case, request) => {
    // rawExchange resolves when the server closes the connection; without a request timeout it never does.
    const response = await rawExchange(api.baseUrl, request);
    expectContract(response, 408, 'REQUEST_TIMEOUT');
    expect(response.headers.connection).toBe('close');
    expect(api.logLines.join('\n')).not.toContain(MARKER);
  });
});
