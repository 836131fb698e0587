import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startGrpcRouter } from '../../src/router/grpc-router';
import { type HttpRouterLimits, startHttpRouter } from '../../src/router/http-router';
import { LiveRoutes } from '../../src/routing/live-routes';
import { declareRunning, itemsClient, startGrpcBackend, TEST_ITEM_IDS } from '../helper';

/** A real HTTP backend that holds every request until `releaseAll()`; `held` counts those waiting. */
async function startSlowBackend() {
  const waiting: http.ServerResponse[] = [];
  let arrived: () => void = () => {};
  const server = http.createServer((_req, res) => {
    waiting.push(res);
    arrived();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return {
    port: (server.address() as AddressInfo).port,
    held: () => waiting.length,
    /** Resolves once `count` requests are being held. */
    async until(count: number) {
      while (waiting.length < count) await new Promise<void>((resolve) => (arrived = resolve));
    },
    releaseAll() {
      for (const res of waiting.splice(0))
        res.writeHead(200, { 'content-type': 'text/plain' }).end('slow ok');
    },
  };
}

function get(url: string): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] }),
        );
      })
      .on('error', reject);
  });
}

/** The HTTP dev router with `limits`, routing stable api-service to `port`; closed after the test. */
async function routerBefore(port: number, limits: Partial<HttpRouterLimits>) {
  const routes = new LiveRoutes();
  declareRunning(routes, 'api-service', 'stable', port);
  const router = await startHttpRouter({ routes, port: 0, limits });
  onTestFinished(() => router.close());
  return router;
}

describe('dev router limits (bounded queues, fast 503 over capacity)', () => {
  it('answers excess HTTP requests with a 503 JSON error at once instead of queueing them behind a slow api', async () => {
    const backend = await startSlowBackend();
    // A queue wait far longer than the test may take: a 503 can only come from the bound, not a timeout.
    const router = await routerBefore(backend.port, { maxActive: 2, maxQueued: 1, queueTimeoutMs: 60_000 });
    const url = `http://127.0.0.1:${router.port}/api/items`;

    const admitted = [get(url), get(url)];
    await backend.until(2);
    const queued = get(url);
    const excess = await get(url);

    expect(excess.status).toBe(503);
    expect(excess.retryAfter).toBe('1');
    expect(JSON.parse(excess.body)).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'OVER_CAPACITY',
      message: 'api-service (stable) has too many requests waiting in the dev router; retry shortly',
    });
    // The rejection came while the backend still held every admitted request.
    expect(backend.held()).toBe(2);

    backend.releaseAll();
    await backend.until(1); // the queued request reaches the backend once a slot frees
    backend.releaseAll();
    for (const outcome of await Promise.all([...admitted, queued]))
      expect(outcome).toMatchObject({ status: 200, body: 'slow ok' });
  });

  it('gives up on an HTTP request that waited longer than the queue timeout with a 503', async () => {
    const backend = await startSlowBackend();
    const router = await routerBefore(backend.port, { maxActive: 1, maxQueued: 4, queueTimeoutMs: 100 });
    const url = `http://127.0.0.1:${router.port}/healthz`;

    const admitted = get(url);
    await backend.until(1);
    const timedOut = await get(url);
    expect(timedOut.status).toBe(503);
    expect(JSON.parse(timedOut.body)).toMatchObject({
      code: 'OVER_CAPACITY',
      message: 'api-service (stable) waited too long for a free slot in the dev router; retry shortly',
    });
    expect(backend.held()).toBe(1);
    backend.releaseAll();
    expect((await admitted).status).toBe(200);
  });

  it('answers an excess gRPC call UNAVAILABLE at once while the backend still holds the admitted ones', async () => {
    const backend = await startGrpcBackend('stable');
    const routes = new LiveRoutes();
    declareRunning(routes, 'store-service', 'stable', backend.port);
    const router = await startGrpcRouter({
      routes,
      port: 0,
      limits: { maxActive: 1, maxQueued: 0, queueTimeoutMs: 60_000 },
    });
    onTestFinished(() => router.close());
    const client = itemsClient(router.port);
    const call = (id: string) => {
      let started: grpc.ClientUnaryCall | undefined;
      const outcome = new Promise<grpc.ServiceError | null>((resolve) => {
        started = client.GetItem({ id }, { deadline: Date.now() + 15_000 }, (error) => resolve(error));
      });
      return { outcome, cancel: () => started?.cancel() };
    };

    const held = call(TEST_ITEM_IDS.slow); // the backend never answers this one
    while (backend.seen.lastMetadata === undefined) await new Promise((resolve) => setImmediate(resolve));
    const excess = await call('item-1').outcome;
    expect(excess?.code).toBe(grpc.status.UNAVAILABLE);
    expect(excess?.details).toBe('store-service (stable) has too many calls waiting in the dev router');
    expect(backend.seen.cancelledCalls).toBe(0);

    held.cancel();
    expect((await held.outcome)?.code).toBe(grpc.status.CANCELLED);
  });
});
