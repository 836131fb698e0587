import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { judge } from '@pr-canary/canary-analysis';
import { createServiceMetrics, FaultInjector } from '@pr-canary/canary-context';
import { startMetricsServer } from '@pr-canary/service-kit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { driveLoad, LoadUsageError, loopbackOrigin } from '../../src/analyze/load';
import { type ControlInstance, putInstanceFaults, startControlServer } from '../../src/stack/control-server';

/** An instance's metrics server (service-kit's, the one every service runs) with its faults admin. */
async function adminPort(): Promise<{ port: number; faults: FaultInjector }> {
  const faults = new FaultInjector({
    protocol: 'grpc',
    knownCalls: () => ['/store.v1.ItemsService/GetItem'],
  });
  const metrics = createServiceMetrics({
    identity: { service: 'store-service', track: 'pr-42', version: '1' },
  });
  const server = await startMetricsServer({ metrics, port: 0, host: '127.0.0.1', faults });
  onTestFinished(() => server.close());
  return { port: server.port, faults };
}

async function control(instances: ControlInstance[]) {
  const server = await startControlServer({
    host: '127.0.0.1',
    port: 0,
    corsOrigins: () => ['http://127.0.0.1:5173'],
    target: {
      apiUrl: () => 'http://127.0.0.1:8080',
      instances: () => instances,
      setFaults: async (service, track, spec) => {
        const instance = instances.find((i) => i.service === service && i.track === track);
        if (!instance?.metricsPort) throw new Error('no such instance');
        return putInstanceFaults(instance.metricsPort, spec);
      },
    },
  });
  onTestFinished(() => server.close());
  return server.url;
}

/** One track's 30 calls, `fast` of them within 10 ms. */
const thirtyCalls = (track: 'stable' | 'pr-42', errors: number, fast: number) => ({
  track,
  calls: 30,
  errors,
  latencies: {
    kind: 'buckets' as const,
    buckets: [
      { le: 0.01, count: fast },
      { le: Number.POSITIVE_INFINITY, count: 30 },
    ],
  },
});

/** A verdict on one service hop, from histograms (too few calls to tell: 30 per side). */
const verdict = judge({
  pr: '42',
  mode: 'test',
  hops: [
    {
      hop: 'api-service',
      protocol: 'http',
      source: 'metrics',
      stable: thirtyCalls('stable', 1, 30),
      pr: thirtyCalls('pr-42', 2, 29),
    },
  ],
});

describe('the stack control endpoint', () => {
  it('sets an instance’s faults through its admin port, passes its refusal on, and lists them', async () => {
    const store = await adminPort();
    const url = await control([
      {
        service: 'store-service',
        track: 'pr-42',
        version: '1',
        state: 'running',
        port: 1,
        metricsPort: store.port,
      },
      {
        service: 'api-service',
        track: 'stable',
        version: '1',
        state: 'starting',
        port: null,
        metricsPort: null,
      },
    ]);
    const set = await fetch(`${url}/faults/pr-42/store-service`, { method: 'PUT', body: 'error-rate=20%' });
    expect(await set.json()).toEqual({ service: 'store-service', track: 'pr-42', faults: 'error-rate=0.2' });
    expect(store.faults.spec.errorRate).toBe(0.2);
    const refused = await fetch(`${url}/faults/pr-42/store-service`, {
      method: 'PUT',
      body: 'fail=ListItems',
    });
    expect(refused.status).toBe(400);
    // The instance's refusal, passed on in the one error shape (@pr-canary/contracts/error-body).
    expect(await refused.json()).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      code: 'BAD_FAULT_SPEC',
      message: expect.stringMatching(/does not serve/),
    });
    const bad = await fetch(`${url}/faults/pr-42/store-service`, { method: 'PUT', body: 'latency=fast' });
    expect(await bad.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'BAD_FAULT_SPEC',
      message: 'latency must be a duration such as 100ms or 1.5s',
    });
    const list = (await (await fetch(`${url}/faults`)).json()) as { instances: { faults: string }[] };
    expect(list.instances.map((i) => i.faults)).toEqual(['error-rate=0.2', 'starting']);
    expect((await fetch(`${url}/faults/pr-042/store-service`, { method: 'PUT', body: 'none' })).status).toBe(
      404,
    );
    // One instance's faults where they are set; an instance the stack does not run is not found.
    const one = await fetch(`${url}/faults/pr-42/store-service`);
    expect(await one.json()).toEqual({
      service: 'store-service',
      track: 'pr-42',
      state: 'running',
      faults: 'error-rate=0.2',
    });
    const unknown = await fetch(`${url}/faults/pr-7/store-service`);
    expect([unknown.status, await unknown.json()]).toEqual([
      404,
      {
        statusCode: 404,
        error: 'Not Found',
        code: 'NO_SUCH_INSTANCE',
        message: 'this stack runs no store-service on pr-7',
      },
    ]);
    const post = await fetch(`${url}/faults/pr-42/store-service`, { method: 'POST', body: 'none' });
    expect([post.status, ((await post.json()) as { message: string }).message]).toEqual([
      405,
      'use GET, PUT or DELETE',
    ]);
  });

  it('keeps the latest verdict per PR for the web UI (CORS for its origin only), and refuses anything else', async () => {
    const url = await control([]);
    expect((await fetch(`${url}/verdicts/42`)).status).toBe(404);
    expect((await fetch(`${url}/verdicts/42`, { method: 'PUT', body: JSON.stringify(verdict) })).status).toBe(
      200,
    );
    const read = await fetch(`${url}/verdicts/42`, { headers: { origin: 'http://127.0.0.1:5173' } });
    expect(read.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(((await read.json()) as { outcome: string }).outcome).toBe('inconclusive');
    const other = await fetch(`${url}/verdicts/42`, { headers: { origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${url}/verdicts/7`, { method: 'PUT', body: JSON.stringify(verdict) })).status).toBe(
      400,
    );
    expect((await fetch(`${url}/verdicts/7`, { method: 'PUT', body: '{"schema":1}' })).status).toBe(400);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });

  it('refuses a request whose Host names another machine (DNS rebinding): no fault set, 403 in its error shape', async () => {
    const url = await control([]);
    const put = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${url}/verdicts/42`, { method: 'PUT', headers: { host } }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(JSON.stringify(verdict));
      });
    const port = new URL(url).port;
    const refused = await put(`evil.example:${port}`);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
    expect((await fetch(`${url}/verdicts/42`)).status).toBe(404);
    expect((await put(`localhost:${port}`)).status).toBe(200);
    expect((await fetch(`${url}/verdicts/42`)).status).toBe(200);
  });

  it('answers a body over 1 MiB with 413 in its error shape (a verdict or a fault spec), and keeps serving', async () => {
    const url = await control([]);
    const big = `{"pr":"42","padding":"${'x'.repeat(1 << 20)}"}`;
    for (const path of ['/verdicts/42', '/faults/stable/store-service']) {
      const response = await fetch(`${url}${path}`, { method: 'PUT', body: big });
      expect(response.status, path).toBe(413);
      expect(await response.json()).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        code: 'TOO_LARGE',
        message: `a body may be at most ${1 << 20} bytes`,
      });
    }
    expect((await fetch(`${url}/verdicts`)).status).toBe(200);
  });
});

describe('the analyze load', () => {
  it('runs only on this machine', async () => {
    expect(loopbackOrigin('http://localhost:8080/')).toBe('http://localhost:8080');
    // The paths asked are fixed: one given is refused, not dropped without a word.
    expect(() => loopbackOrigin('http://localhost:8080/x')).toThrow(/--url is an origin, without a path/);
    expect(() => loopbackOrigin('http://10.0.0.1:8080')).toThrow(LoadUsageError);
    expect(() => loopbackOrigin('https://api.example.com')).toThrow(/^--url must be http$/);
    expect(() => loopbackOrigin('http://u:p@localhost:8080')).toThrow(/--url must not carry credentials/);
    await expect(
      driveLoad({ url: 'http://example.com', pr: '1', requests: 1, concurrency: 1 }),
    ).rejects.toThrow(/the local stack is on this machine: --url must be 127.0.0.1/);
  });

  it('interleaves the sides and sends X-Canary only on the PR side', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers['x-canary'] as string | undefined);
      res.writeHead(req.headers['x-canary'] ? 503 : 200).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const load = await driveLoad({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      pr: '42',
      requests: 10,
      concurrency: 1,
    });
    expect(seen.slice(0, 4)).toEqual([undefined, '42', undefined, '42']);
    expect(load.stable.map((c) => c.status)).toEqual(Array(10).fill(200));
    expect(load.pr.map((c) => c.status)).toEqual(Array(10).fill(503));
  });
});
