import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseServedBy } from '@pr-canary/contracts/served-by';
import { describe, expect, it } from 'vitest';
import { currentCanaryKey, currentScope } from '../src/context';
import { apiIdentity, buildTestApp, describeKey, keysAcrossAsyncHops, metricValue, randomPr } from './helper';

const ownHop = 'api-service;track="stable";version="0.4.0"';

describe('canaryFastifyPlugin through inject()', () => {
  it('serves a valid key: handler sees it, response echoes X-Canary and X-Served-By', async () => {
    const { app } = await buildTestApp((a) =>
      a.get('/api/items/:id', async (request) => ({
        key: request.canaryKey,
        scoped: describeKey(currentCanaryKey()),
      })),
    );
    const res = await app.inject({ url: '/api/items/9', headers: { 'X-Canary': '42' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ key: { kind: 'valid', pr: '42' }, scoped: '42' });
    expect(res.headers['x-canary']).toBe('42');
    expect(res.headers['x-canary-warning']).toBeUndefined();
    expect(res.headers['x-served-by']).toBe(ownHop);
    expect(res.headers.vary).toBe('X-Canary');
  });

  it('serves an invalid key as stable with a warning, never echoing it, and counts it', async () => {
    const { app, metrics } = await buildTestApp((a) =>
      a.get('/k', async () => describeKey(currentCanaryKey())),
    );
    const res = await app.inject({ url: '/k', headers: { 'x-canary': '42abc' } });
    expect(res.body).toBe('invalid:not_digits');
    expect(res.headers['x-canary']).toBeUndefined();
    expect(res.headers['x-canary-warning']).toMatch(
      /^invalid canary key \(not_digits\): .+; served by stable$/,
    );
    expect(String(res.headers['x-canary-warning'])).not.toContain('42abc');
    expect(
      await metricValue(metrics, 'pr_canary_invalid_canary_key_total', {
        source: 'http',
        reason: 'not_digits',
      }),
    ).toBe(1);
  });

  it('treats duplicated equal headers as the key and different ones as conflicting', async () => {
    const { app } = await buildTestApp((a) => a.get('/k', async () => describeKey(currentCanaryKey())));
    const same = await app.inject({ url: '/k', headers: { 'x-canary': ['7', '7'] } });
    const different = await app.inject({ url: '/k', headers: { 'x-canary': ['7', '8'] } });
    expect(same.body).toBe('7');
    expect(different.body).toBe('invalid:conflicting_values');
  });

  it('ignores X-Canary entirely when the header is not trusted', async () => {
    const { app, metrics } = await buildTestApp(
      (a) => a.get('/k', async () => describeKey(currentCanaryKey())),
      {
        trustHeader: false,
      },
    );
    const valid = await app.inject({ url: '/k', headers: { 'x-canary': '42' } });
    const invalid = await app.inject({ url: '/k', headers: { 'x-canary': 'zzz' } });
    expect([valid.body, invalid.body]).toEqual(['absent', 'absent']);
    expect(valid.headers['x-canary']).toBeUndefined();
    expect(invalid.headers['x-canary-warning']).toBeUndefined();
    expect(await metricValue(metrics, 'pr_canary_invalid_canary_key_total', {})).toBe(0);
  });

  it('answers 404s and thrown errors with the served-by chain and the key', async () => {
    const { app, metrics } = await buildTestApp((a) =>
      a.get('/boom', async () => {
        throw new Error('handler failed');
      }),
    );
    const missing = await app.inject({ url: '/nope/123', headers: { 'x-canary': '5' } });
    const failed = await app.inject({ url: '/boom', headers: { 'x-canary': '5' } });
    for (const res of [missing, failed]) {
      expect(res.headers['x-served-by']).toBe(ownHop);
      expect(res.headers['x-canary']).toBe('5');
    }
    expect([missing.statusCode, failed.statusCode]).toEqual([404, 500]);
    expect(
      await metricValue(metrics, 'pr_canary_http_requests_total', {
        route: 'unmatched',
        status_code: '404',
        canary: 'present',
      }),
    ).toBe(1);
    expect(
      await metricValue(metrics, 'pr_canary_http_requests_total', { route: '/boom', status_code: '500' }),
    ).toBe(1);
  });

  it('still answers with headers when another plugin replies before its onRequest hook (CORS preflight)', async () => {
    const { app } = await buildTestApp(() => {}, {
      before: (a) =>
        a.addHook('onRequest', async (request, reply) => {
          if (request.method === 'OPTIONS') await reply.code(204).send();
        }),
    });
    const res = await app.inject({ method: 'OPTIONS', url: '/api/items' });
    expect(res.statusCode).toBe(204);
    expect(res.headers['x-served-by']).toBe(ownHop);
  });

  it('keeps an existing Vary header and adds X-Canary once', async () => {
    const { app } = await buildTestApp((a) =>
      a.get('/v', async (_request, reply) => reply.header('vary', 'Origin, x-canary').send('ok')),
    );
    const res = await app.inject({ url: '/v' });
    expect(res.headers.vary).toBe('Origin, x-canary');
  });

  it('records HTTP metrics with the route template, method, status and canary label', async () => {
    const { app, metrics } = await buildTestApp((a) => a.get('/api/items/:id', async () => 'ok'));
    await app.inject({ url: '/api/items/1', headers: { 'x-canary': '3' } });
    await app.inject({ url: '/api/items/2' });
    const labels = { method: 'GET', route: '/api/items/:id', status_code: '200', track: 'stable' };
    expect(
      await metricValue(metrics, 'pr_canary_http_requests_total', { ...labels, canary: 'present' }),
    ).toBe(1);
    expect(await metricValue(metrics, 'pr_canary_http_requests_total', { ...labels, canary: 'absent' })).toBe(
      1,
    );
    expect(await metricValue(metrics, 'pr_canary_http_request_duration_seconds', labels)).toBe(2);
    const text = await metrics.registry.metrics();
    expect(text).not.toContain('/api/items/1');
  });
});

/** Sends a request to a real server; the body (if any) is written in chunks with pauses in between. */
function send(
  port: number,
  opts: { path: string; method?: string; headers?: Record<string, string>; chunks?: string[] },
) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: opts.path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      const chunks = [...(opts.chunks ?? [])];
      const writeNext = () => {
        const chunk = chunks.shift();
        if (chunk === undefined) return void req.end();
        req.write(chunk);
        setTimeout(writeNext, Math.floor(Math.random() * 3));
      };
      writeNext();
    },
  );
}

describe('canaryFastifyPlugin on a listening server', () => {
  it('keeps 200 concurrent requests with random keys isolated across body parsing and async hops', async () => {
    const { app } = await buildTestApp((a) =>
      a.post('/echo', async (request) => {
        const seen = await keysAcrossAsyncHops();
        // Pretend a downstream call answered: each request must see only its own downstream entries.
        currentScope()?.downstream.push({
          service: 'store-service',
          track: 'stable',
          version: describeKey(request.canaryKey),
        });
        await sleep(1);
        return { seen, body: request.body };
      }),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const pr = randomPr();
        const payload = JSON.stringify({ i, pr });
        const half = Math.floor(payload.length / 2);
        const res = await send(port, {
          path: '/echo',
          method: 'POST',
          headers: {
            'x-canary': pr,
            'content-type': 'application/json',
            'content-length': String(payload.length),
          },
          chunks: [payload.slice(0, half), payload.slice(half)],
        });
        return { pr, i, res };
      }),
    );
    for (const { pr, i, res } of results) {
      expect(res.status).toBe(200);
      const body = JSON.parse(res.body) as { seen: string[]; body: { i: number; pr: string } };
      expect(body.body).toEqual({ i, pr });
      expect(new Set(body.seen)).toEqual(new Set([pr]));
      expect(res.headers['x-canary']).toBe(pr);
      expect(parseServedBy(String(res.headers['x-served-by']))).toEqual([
        { service: apiIdentity.service, track: apiIdentity.track, version: apiIdentity.version },
        { service: 'store-service', track: 'stable', version: pr },
      ]);
    }
  });
});
