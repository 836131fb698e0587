import * as http from 'node:http';
import * as net from 'node:net';
import { seededRandom } from '@pr-canary/test-support';
import type { TraceSpan } from '@pr-canary/traces/model';
import { describe, expect, it, onTestFinished } from 'vitest';
import { OWN_ANSWER_SPANS_PER_SECOND, startHttpRouter } from '../../src/router/http-router';
import { LiveRoutes } from '../../src/routing/live-routes';
import { declareRunning, startHttpBackend, startTestHttpRouter, trimOws } from '../helper';

async function routedStack() {
  const stable = await startHttpBackend('stable');
  const pr42 = await startHttpBackend('pr-42');
  const routes = new LiveRoutes();
  declareRunning(routes, 'api-service', 'stable', stable.port);
  declareRunning(routes, 'api-service', 'pr-42', pr42.port);
  const router = await startTestHttpRouter(routes);
  return { routes, pr42, url: `http://127.0.0.1:${router.port}`, port: router.port };
}

/** What the test backend saw: its track and the `X-Canary` lines that reached it. */
interface BackendSaw {
  track: string;
  canaryLines: string[];
}

/** GET /api/route with these `X-Canary` lines, each sent as its own header line (plus `extra` lines). */
function routeLines(
  port: number,
  lines: readonly string[],
  extra: readonly string[] = [],
): Promise<BackendSaw> {
  return new Promise((resolve, reject) => {
    const headers = ['Host', `127.0.0.1:${port}`, ...lines.flatMap((line) => ['X-Canary', line]), ...extra];
    const request = http.request({ host: '127.0.0.1', port, path: '/api/route', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (response.statusCode !== 200) reject(new Error(`HTTP ${response.statusCode}: ${body}`));
        else resolve(JSON.parse(body) as BackendSaw);
      });
    });
    request.on('error', reject);
    request.end();
  });
}

const trackForLines = async (port: number, lines: readonly string[]) => (await routeLines(port, lines)).track;

async function trackFor(url: string, init?: RequestInit): Promise<string> {
  const response = await fetch(`${url}/api/route`, init);
  return ((await response.json()) as { track: string }).track;
}

describe('HTTP dev router (Traefik Header() semantics)', () => {
  it('sends X-Canary exactly 42 to the PR 42 api canary and everything else to stable', async () => {
    const { url } = await routedStack();
    expect(await trackFor(url)).toBe('stable');
    expect(await trackFor(url, { headers: { 'X-Canary': '42' } })).toBe('pr-42');
    expect(await trackFor(url, { headers: { 'x-canary': '42' } })).toBe('pr-42');
    expect(await trackFor(url, { headers: { 'X-Canary': '7' } })).toBe('stable');
    expect(await trackFor(url, { headers: { 'X-Canary': '042' } })).toBe('stable');
    expect(await trackFor(url, { headers: { 'X-Canary': '42, 42' } })).toBe('stable');
    expect(await trackFor(url, { headers: { 'X-Canary': 'abc' } })).toBe('stable');
  });

  it('never sends several X-Canary lines to a canary unless every line is exactly 42', async () => {
    const { port } = await routedStack();
    expect(await trackForLines(port, ['42', '42'])).toBe('pr-42');
    for (const second of ['7', 'abc', '043', '', '42,42', '4', '420']) {
      expect(await trackForLines(port, ['42', second]), second).toBe('stable');
      expect(await trackForLines(port, [second, '42']), second).toBe('stable');
    }
  });

  it('passes X-Canary on line by line, as received (joined, two lines would read as one line holding a list)', async () => {
    const { port } = await routedStack();
    expect(await routeLines(port, ['42', '42'])).toMatchObject({ track: 'pr-42', canaryLines: ['42', '42'] });
    expect(await routeLines(port, ['42', '7'])).toMatchObject({ track: 'stable', canaryLines: ['42', '7'] });
  });

  it('routes a key the Connection header names (dropped as hop-by-hop) as no key: stable, never a PR without its key', async () => {
    const { port } = await routedStack();
    for (const connection of ['X-Canary', 'keep-alive, x-canary']) {
      expect(await routeLines(port, ['42'], ['Connection', connection]), connection).toEqual(
        expect.objectContaining({ track: 'stable', canaryLines: [] }),
      );
    }
    expect(await routeLines(port, ['42'], ['Connection', 'keep-alive'])).toMatchObject({ track: 'pr-42' });
  });

  it('routes random sets of X-Canary lines to PR 42 only when every line is exactly 42 (fuzz, real sockets)', async () => {
    const { port } = await routedStack();
    const random = seededRandom(42);
    const pool = [
      '42',
      '42',
      '42',
      ' 42',
      '42\t',
      '7',
      '043',
      '4',
      '420',
      'abc',
      '',
      '42,42',
      '42, 7',
      '999',
    ];
    const wrong: string[] = [];
    for (let i = 0; i < 300; i++) {
      const lines = Array.from(
        { length: Math.floor(random() * 4) },
        () => pool[Math.floor(random() * pool.length)] as string,
      );
      // A line's surrounding spaces and tabs are not part of its value (RFC 9110 §5.5), for Go as for Node.
      const expected = lines.length > 0 && lines.every((line) => trimOws(line) === '42') ? 'pr-42' : 'stable';
      const track = await trackForLines(port, lines);
      if (track !== expected) wrong.push(`${JSON.stringify(lines)} → ${track}`);
    }
    expect(wrong).toEqual([]);
  });

  it('forwards method, path, body and headers, sets X-Forwarded-*, and drops hop-by-hop headers', async () => {
    const { url } = await routedStack();
    const response = await fetch(`${url}/api/items?limit=2`, {
      method: 'POST',
      headers: {
        'X-Canary': '42',
        'content-type': 'application/json',
        'x-custom': 'kept',
        'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
        'proxy-connection': 'keep-alive',
      },
      body: JSON.stringify({ name: 'pen' }),
    });
    const echoed = (await response.json()) as {
      method: string;
      url: string;
      body: string;
      headers: Record<string, string>;
    };
    expect(echoed).toMatchObject({ method: 'POST', url: '/api/items?limit=2', body: '{"name":"pen"}' });
    expect(echoed.headers).toMatchObject({
      'x-custom': 'kept',
      'x-canary': '42',
      'x-forwarded-proto': 'http',
    });
    expect(echoed.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echoed.headers['x-forwarded-host']).toBe(new URL(url).host);
    expect(echoed.headers).not.toHaveProperty('proxy-authorization');
    expect(echoed.headers).not.toHaveProperty('proxy-connection');
    expect(response.headers.get('x-track')).toBe('pr-42');
  });

  it("answers 503 naming PR and service while PR 42's api canary is down, never stable", async () => {
    const { url, routes, pr42 } = await routedStack();
    await pr42.stop();
    routes.update('api-service', 'pr-42', { state: 'restarting', restarts: 1 });
    const response = await fetch(`${url}/api/route`, { headers: { 'X-Canary': '42' } });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: "PR 42's api-service canary is declared but not running (restarting, 1 restart so far)",
      code: 'UNAVAILABLE',
    });
    expect(await trackFor(url)).toBe('stable');
  });

  it("names the trace of its own answers (X-Trace-Id), in the caller's trace when it names one", async () => {
    const pr42 = await startHttpBackend('pr-42');
    await pr42.stop();
    const routes = new LiveRoutes();
    declareRunning(routes, 'api-service', 'pr-42', pr42.port);
    routes.update('api-service', 'pr-42', { state: 'restarting', restarts: 1 });
    const spans: TraceSpan[] = [];
    const router = await startHttpRouter({
      routes,
      port: 0,
      recordOwnAnswer: (span) => spans.push(span),
      corsOrigins: () => ['http://localhost:5173'],
    });
    onTestFinished(() => router.close());
    const url = `http://127.0.0.1:${router.port}/api/route`;

    const fresh = await fetch(url, { headers: { 'X-Canary': '42', Origin: 'http://localhost:5173' } });
    expect(fresh.status).toBe(503);
    const traceId = fresh.headers.get('x-trace-id');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    // A page on an allowed origin may read it, to look the trace up.
    expect(fresh.headers.get('access-control-expose-headers')).toBe('x-trace-id');
    expect(spans).toEqual([
      expect.objectContaining({
        traceId,
        parentSpanId: null,
        service: 'dev-router',
        kind: 'server',
        name: 'dev router 503 UNAVAILABLE',
        status: {
          code: 'error',
          message: "PR 42's api-service canary is declared but not running (restarting, 1 restart so far)",
        },
        attributes: { 'http.request.method': 'GET', 'http.response.status_code': 503, 'canary.key': '42' },
      }),
    ]);

    const caller = { trace: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', span: 'bbbbbbbbbbbbbbbb' };
    const traced = await fetch(url, {
      headers: { 'X-Canary': '42', traceparent: `00-${caller.trace}-${caller.span}-01` },
    });
    expect(traced.headers.get('x-trace-id')).toBe(caller.trace);
    expect(spans[1]).toMatchObject({ traceId: caller.trace, parentSpanId: caller.span });
  });

  it('records at most a few of its own answers a second: a flood of them names no trace beyond that', async () => {
    const routes = new LiveRoutes();
    routes.declare('api-service', 'stable');
    const spans: TraceSpan[] = [];
    const router = await startHttpRouter({ routes, port: 0, recordOwnAnswer: (span) => spans.push(span) });
    onTestFinished(() => router.close());
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => fetch(`http://127.0.0.1:${router.port}/api/route`)),
    );
    expect(answers.every((answer) => answer.status === 503)).toBe(true);
    const named = answers.map((answer) => answer.headers.get('x-trace-id')).filter((id) => id !== null);
    // 10 a second: 60 answers within a second or two leave most unrecorded.
    expect(spans.length).toBeGreaterThanOrEqual(OWN_ANSWER_SPANS_PER_SECOND);
    expect(spans.length).toBeLessThan(60);
    expect(named.sort()).toEqual(spans.map((span) => span.traceId).sort());
  });

  it('makes its own answers readable to the pages the edge allows (CORS), and leaves routed answers as the service sent them', async () => {
    const stable = await startHttpBackend('stable');
    const routes = new LiveRoutes();
    declareRunning(routes, 'api-service', 'stable', stable.port);
    routes.declare('api-service', 'pr-42');
    const page = 'http://localhost:5173';
    const router = await startHttpRouter({
      routes,
      port: 0,
      corsOrigins: () => [page],
      limits: { maxBodyBytes: 4 },
    });
    onTestFinished(() => router.close());
    const url = `http://127.0.0.1:${router.port}/api/route`;

    const down = await fetch(url, { headers: { 'X-Canary': '42', Origin: page } });
    expect(down.status).toBe(503);
    expect(down.headers.get('access-control-allow-origin')).toBe(page);
    expect(down.headers.get('vary')).toBe('Origin');
    const elsewhere = await fetch(url, { headers: { 'X-Canary': '42', Origin: 'http://evil.test' } });
    expect(elsewhere.status).toBe(503);
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    expect(elsewhere.headers.get('vary')).toBe('Origin');
    const tooLarge = await fetch(url, {
      method: 'POST',
      headers: { Origin: page },
      body: 'more than four bytes',
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('access-control-allow-origin')).toBe(page);

    const routed = await fetch(url, { headers: { Origin: page } });
    expect(routed.status).toBe(200);
    expect(routed.headers.get('x-track')).toBe('stable');
    expect(routed.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 503 while stable is not running and 502 when it is not reachable', async () => {
    const routes = new LiveRoutes();
    routes.declare('api-service', 'stable');
    const router = await startTestHttpRouter(routes);
    const notRunning = await fetch(`http://127.0.0.1:${router.port}/api/route`);
    expect(notRunning.status).toBe(503);
    expect(await notRunning.json()).toMatchObject({
      code: 'UNAVAILABLE',
      message: 'stable api-service is not running (starting)',
    });

    const gone = await startHttpBackend('stable');
    declareRunning(routes, 'api-service', 'stable', gone.port);
    await gone.stop();
    const unreachable = await fetch(`http://127.0.0.1:${router.port}/api/route`);
    expect(unreachable.status).toBe(502);
    expect(await unreachable.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', error: 'Bad Gateway' });
  });
});

/** Writes raw bytes to the router and reads everything it answers until it closes the connection. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe("HTTP dev router: requests Node's parser refuses", () => {
  it("answers them with the api's error shape, never echoing the request", async () => {
    const { port } = await routedStack();
    const huge = `GET /api/route HTTP/1.1\r\nHost: x\r\nX-Canary: 42\r\nX-Secret: ${'s'.repeat(20_000)}\r\n\r\n`;
    const cases: [string, number, string][] = [
      [huge, 431, 'HEADERS_TOO_LARGE'],
      ['GET /api/route\u0007 HTTP/1.1\r\nHost: x\r\nX-Secret: sss\r\n\r\n', 400, 'BAD_REQUEST'],
      ['NOT-HTTP sss\r\n\r\n', 400, 'BAD_REQUEST'],
    ];
    for (const [bytes, status, code] of cases) {
      const answer = await rawExchange(port, bytes);
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head, code).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head.toLowerCase()).toContain('content-type: application/json');
      expect(JSON.parse(body)).toMatchObject({ statusCode: status, code });
      expect(answer).not.toContain('sss');
    }
  });
});

describe('HTTP dev router: an Expect it does not meet', () => {
  it("answers 417 in the api's error shape and closes, the request never routed", async () => {
    const { port, url } = await routedStack();
    const body = '{"name":"secret"}';
    const answer = await rawExchange(
      port,
      `POST /api/route HTTP/1.1\r\nHost: x\r\nX-Canary: 42\r\nExpect: foo\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    const [head = '', text = ''] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1.1 417 Expectation Failed\r\n/);
    expect(head.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(text)).toEqual({
      statusCode: 417,
      error: 'Expectation Failed',
      code: 'EXPECTATION_FAILED',
      message: 'the only expectation this server meets is 100-continue',
    });
    expect(answer).not.toContain('secret');
    expect(await trackFor(url)).toBe('stable');
  });
});

describe('HTTP dev router: CONNECT (used as a forward proxy)', () => {
  it("answers 501 in the api's error shape and closes, the target never echoed", async () => {
    const { port, url } = await routedStack();
    for (const bytes of [
      'CONNECT secret.example:443 HTTP/1.1\r\nHost: secret.example:443\r\n\r\n',
      // A client that does not wait for the answer: its first tunnel bytes are already on the way.
      'CONNECT secret.example:443 HTTP/1.1\r\nHost: secret.example:443\r\n\r\n\u0016\u0003\u0001secret-hello',
    ]) {
      const answer = await rawExchange(port, bytes);
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1.1 501 Not Implemented\r\n/);
      expect(head.toLowerCase()).toContain('content-type: application/json');
      expect(head.toLowerCase()).toContain('connection: close');
      expect(JSON.parse(body)).toEqual({
        statusCode: 501,
        error: 'Not Implemented',
        code: 'NOT_IMPLEMENTED',
        message: expect.stringContaining('not a forward proxy'),
      });
      expect(answer).not.toContain('secret');
    }
    // The router goes on serving.
    expect(await trackFor(url)).toBe('stable');
  });

  it('closes at once while a refused client keeps its side of the connection open', async () => {
    const { pr42 } = await routedStack();
    const routes = new LiveRoutes();
    declareRunning(routes, 'api-service', 'pr-42', pr42.port);
    const router = await startHttpRouter({ routes, port: 0 });
    const socket = net.connect({ port: router.port, host: '127.0.0.1', allowHalfOpen: true });
    onTestFinished(() => {
      socket.destroy();
    });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    await expect.poll(() => answer, { timeout: 5_000 }).toContain('"code":"NOT_IMPLEMENTED"');
    // Its socket left the HTTP server's connection list; close() ends it rather than waiting it out.
    await router.close();
    expect(socket.destroyed).toBe(false);
  });
});

describe('HTTP dev router: the request target and Host (as Go net/http, under Traefik, reads them)', () => {
  /** The backend's echo of one raw request (answered 200), or the router's own answer. */
  async function exchange(port: number, bytes: string) {
    const answer = await rawExchange(port, bytes);
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    // A proxied answer streams chunked: its chunks joined.
    const chunked = /transfer-encoding: chunked/i.test(head);
    const text = chunked
      ? body
          .split('\r\n')
          .filter((_line, index) => index % 2 === 1)
          .join('')
      : body;
    return { status: Number(head.split(' ')[1]), head: head.toLowerCase(), body: JSON.parse(text) };
  }

  it('takes an absolute-form target as its Host and origin-form path, the Host header ignored (RFC 9112 §3.2.2)', async () => {
    const { port } = await routedStack();
    const answer = await exchange(
      port,
      'GET http://api.localhost:9999/api/items/a/../b?limit=2 HTTP/1.1\r\nHost: elsewhere.example\r\nX-Canary: 42\r\nConnection: close\r\n\r\n',
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ track: 'pr-42', url: '/api/items/a/../b?limit=2' });
    expect(answer.body.headers).toMatchObject({
      host: 'api.localhost:9999',
      'x-forwarded-host': 'api.localhost:9999',
    });
    const bare = await exchange(
      port,
      'GET http://api.localhost HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(bare.body).toMatchObject({ url: '/', headers: { host: 'api.localhost' } });
  });

  it("refuses a request without a Host or with several, and a target it cannot read, in the api's error shape", async () => {
    const { port } = await routedStack();
    const cases: [string, string][] = [
      ['GET /api/route HTTP/1.1\r\nX-Secret: sss\r\nConnection: close\r\n\r\n', 'needs a Host header'],
      [
        'GET /api/route HTTP/1.1\r\nHost: sss.localhost\r\nHost: localhost\r\nConnection: close\r\n\r\n',
        'more than one Host header',
      ],
      [
        'GET ftp://sss.example/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
        'not a path or an http URL',
      ],
    ];
    for (const [bytes, message] of cases) {
      const answer = await exchange(port, bytes);
      expect(answer.status, message).toBe(400);
      expect(answer.head).toContain('content-type: application/json');
      expect(answer.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'BAD_REQUEST',
        message: expect.stringContaining(message),
      });
      expect(JSON.stringify(answer)).not.toContain('sss');
    }
    // HTTP/1.0 needs no Host: the registry's first edge service answers.
    const old = await exchange(port, 'GET /api/route HTTP/1.0\r\n\r\n');
    expect(old.body).toMatchObject({ track: 'stable', url: '/api/route' });
  });
});
