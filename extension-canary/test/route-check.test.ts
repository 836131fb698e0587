import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRoute, parseRouteReport } from '../src/route-check';
import { startTestServer, type TestServer } from './browser/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

describe('checkRoute against a real /api/route', () => {
  it('sends the chosen key and reports every hop', async () => {
    const result = await checkRoute(server.origin('127.0.0.1'), '42');
    expect(result).toEqual({
      ok: true,
      report: {
        status: 200,
        canary: '42',
        warning: null,
        hops: [
          { service: 'api-service', track: 'pr-42', version: '0.4.0' },
          { service: 'store-service', track: 'stable', version: '0.4.0' },
        ],
        error: null,
      },
    });
    expect(server.requests.at(-1)).toMatchObject({ path: '/api/route', canary: '42' });
  });

  it('says so when the origin has no route report', async () => {
    const result = await checkRoute(`${server.origin('127.0.0.1')}/nothing-here`, '42');
    expect(result).toEqual({
      ok: false,
      message: `${server.origin('127.0.0.1')}/nothing-here/api/route answered 404 without a route report`,
    });
  });

  it('passes on the message of a router’s own error (an api canary declared but not running)', async () => {
    const message = "PR 42's api-service canary is declared but not running (stopped)";
    const router = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message, code: 'UNAVAILABLE' }),
      );
    });
    router.listen(0, '127.0.0.1');
    await once(router, 'listening');
    const origin = `http://127.0.0.1:${(router.address() as AddressInfo).port}`;
    try {
      expect(await checkRoute(origin, '42')).toEqual({
        ok: false,
        message: `${origin}/api/route answered 503: ${message}`,
      });
    } finally {
      router.close();
    }
  });

  it('says so when the origin cannot be reached', async () => {
    const closed = await startTestServer();
    await closed.close();
    const result = await checkRoute(closed.origin('127.0.0.1'), '42');
    expect(result).toEqual({ ok: false, message: `Could not reach ${closed.origin('127.0.0.1')}/api/route` });
  });
});

describe('parseRouteReport', () => {
  const hops = [{ service: 'api-service', track: 'stable', version: '1' }];

  it('keeps error reports that still carry hops (store unreachable)', () => {
    expect(parseRouteReport(503, { statusCode: 503, canary: null, warning: null, hops })).toEqual({
      status: 503,
      canary: null,
      warning: null,
      hops,
      error: null,
    });
  });

  it('keeps the message of an error report (a store canary that is declared but not running)', () => {
    const message = "PR 7's store-service canary is declared but not running (stopped)";
    const body = {
      statusCode: 503,
      error: 'Service Unavailable',
      message: `${message}\u001b[0m`,
      code: 'UNAVAILABLE',
      hops,
    };
    expect(parseRouteReport(503, body)?.error).toBe(`${message} [0m`);
  });

  it('rejects bodies that are no route report (the contracts’ schema)', () => {
    expect(parseRouteReport(200, { hops: 'x' })).toBeUndefined();
    expect(parseRouteReport(200, null)).toBeUndefined();
    expect(parseRouteReport(200, { canary: '0x1', warning: 'w', hops })).toBeUndefined();
    expect(parseRouteReport(200, { canary: null, warning: 'w\u001b[0m', hops })).toBeUndefined();
    expect(
      parseRouteReport(503, { message: 'down', hops: [{ ...hops[0], service: 'a b' }] }),
    ).toBeUndefined();
    expect(parseRouteReport(200, { canary: '7', warning: null, hops })).toEqual({
      status: 200,
      canary: '7',
      warning: null,
      hops,
      error: null,
    });
  });
});
