import { once } from 'node:events';
import { createServer, request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { parseServedBy } from '@pr-canary/contracts/served-by';
import { listenOnLoopback } from '@pr-canary/test-support';
import type { EchoHandlers } from '@pr-canary/test-support/echo-service';
import { describe, expect, it, onTestFinished } from 'vitest';
import { handleFaultAdmin } from '../src/fault-admin';
import { faultFastifyPlugin } from '../src/fault-fastify';
import { faultServerInterceptor } from '../src/fault-grpc';
import { FaultInjector, type FaultKind } from '../src/fault-injector';
import { FaultSpecError, parseFaultSpec } from '../src/faults';
import { buildTestApp, echoClient, metricValue, startEchoServer, unary } from './helper';

const echo: EchoHandlers = {
  unary: (call, callback) => callback(null, { text: call.request.text }),
  serverStream: (call) => {
    call.write({ text: 'one' });
    call.end();
  },
  clientStream: (_call, callback) => callback(null, { text: 'done' }),
};

function injector(
  spec: string,
  protocol: 'grpc' | 'http',
  extra: Partial<ConstructorParameters<typeof FaultInjector>[0]> = {},
) {
  return new FaultInjector({ protocol, spec: parseFaultSpec(spec), ...extra });
}

function unaryError(
  client: ReturnType<typeof echoClient>,
): Promise<grpc.ServiceError & { metadata: grpc.Metadata }> {
  return new Promise((resolve, reject) =>
    client.unary({ text: 'x' }, new grpc.Metadata(), (error) =>
      error ? resolve(error as never) : reject(new Error('no error')),
    ),
  );
}

describe('faults in a gRPC server (real sockets)', () => {
  it('answers every call with UNAVAILABLE at error-rate=1, marked as injected, counted, served-by kept', async () => {
    const injected: FaultKind[] = [];
    const faults = injector('error-rate=1', 'grpc', { onInjected: (kind) => injected.push(kind) });
    const { address, metrics } = await startEchoServer(echo, { after: [faultServerInterceptor(faults)] });
    const error = await unaryError(echoClient(address));
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
    expect(error.details).toBe('injected fault: error-rate (CANARY_FAULTS)');
    expect(parseServedBy(String(error.metadata.get('x-served-by')[0])).map((e) => e.service)).toEqual([
      'store-service',
    ]);
    expect(
      await metricValue(metrics, 'pr_canary_grpc_server_handled_total', {
        grpc_method: 'Unary',
        grpc_code: 'UNAVAILABLE',
      }),
    ).toBe(1);
    expect(injected).toEqual(['error']);
  });

  it('fails only the named RPC, with the chosen code', async () => {
    const faults = injector('fail=Unary,error-code=INTERNAL', 'grpc');
    const { address } = await startEchoServer(echo, { after: [faultServerInterceptor(faults)] });
    const client = echoClient(address);
    expect((await unaryError(client)).code).toBe(grpc.status.INTERNAL);
    const streamed: string[] = [];
    const stream = client.serverStream({ text: 'x' });
    stream.on('data', (m: { text: string }) => streamed.push(m.text));
    await once(stream, 'end');
    expect(streamed).toEqual(['one']);
  });

  it('adds the latency to the call as the server measures it', async () => {
    const faults = injector('latency=150ms', 'grpc');
    const { address, metrics } = await startEchoServer(echo, { after: [faultServerInterceptor(faults)] });
    const started = performance.now();
    expect((await unary(echoClient(address), 'slow')).text).toBe('slow');
    expect(performance.now() - started).toBeGreaterThanOrEqual(149);
    const fast = await metricValue(metrics, 'pr_canary_grpc_server_handling_seconds_bucket', { le: '0.1' });
    expect(fast).toBe(0);
  });

  it('changes at run time, and off means untouched', async () => {
    const faults = injector('none', 'grpc');
    const { address } = await startEchoServer(echo, { after: [faultServerInterceptor(faults)] });
    const client = echoClient(address);
    expect((await unary(client, 'a')).text).toBe('a');
    faults.set(parseFaultSpec('error-rate=1'));
    expect((await unaryError(client)).code).toBe(grpc.status.UNAVAILABLE);
    faults.set(parseFaultSpec('none'));
    expect((await unary(client, 'b')).text).toBe('b');
  });

  it('refuses an HTTP status and RPCs the instance does not serve', () => {
    expect(() => injector('error-rate=0.1,error-code=503', 'grpc')).toThrow(/gRPC status/);
    const known = () => ['/test.v1.EchoService/Unary'];
    expect(() => injector('fail=GetItem', 'grpc', { knownCalls: known })).toThrow(
      new FaultSpecError(
        'fail= names a call this instance does not serve (it serves: /test.v1.EchoService/Unary)',
      ),
    );
    expect(injector('fail=test.v1.EchoService/Unary', 'grpc', { knownCalls: known }).spec.fail).toHaveLength(
      1,
    );
  });

  it('injects close to the asked rate', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const faults = injector('error-rate=0.2', 'grpc', { random });
    let errors = 0;
    for (let i = 0; i < 10_000; i++) if (faults.decide('/test.v1.EchoService/Unary')?.error) errors++;
    expect(errors / 10_000).toBeGreaterThan(0.18);
    expect(errors / 10_000).toBeLessThan(0.22);
  });
});

describe('faults in a Fastify app', () => {
  async function app(spec: string) {
    const faults = injector(spec, 'http');
    const built = await buildTestApp(
      (a) => {
        a.get('/healthz', async () => ({ ok: true }));
        a.get('/a', async () => ({ route: 'a' }));
        a.get('/b/:id', async () => ({ route: 'b' }));
        // What @fastify/cors registers for preflights.
        a.options('*', async (_request, reply) => reply.code(204).send());
      },
      { before: (a) => a.register(faultFastifyPlugin, { faults }) },
    );
    return { ...built, faults };
  }

  it('answers 503 INJECTED_FAULT with the served-by header, counted under its route; probes are spared', async () => {
    const { app: server, metrics } = await app('error-rate=1');
    const response = await server.inject({ url: '/b/1' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      code: 'INJECTED_FAULT',
      message: 'injected fault: error-rate (CANARY_FAULTS)',
    });
    expect(response.headers['x-served-by']).toContain('api-service');
    expect(
      await metricValue(metrics, 'pr_canary_http_requests_total', { route: '/b/:id', status_code: '503' }),
    ).toBe(1);
    expect((await server.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('fails only the named route', async () => {
    const { app: server } = await app('fail=GET /b/:id,error-code=500');
    expect((await server.inject({ url: '/b/9' })).statusCode).toBe(500);
    expect((await server.inject({ url: '/a' })).statusCode).toBe(200);
  });

  it('refuses at start a route the app does not have', async () => {
    await expect(app('fail=GET /nope')).rejects.toThrow(
      /does not serve \(it serves: GET \/a, GET \/b\/:id, OPTIONS \*\)/,
    );
  });

  it('can fail every call it lists, preflights (OPTIONS *) included', async () => {
    const { app: server } = await app('fail=OPTIONS *,error-code=502');
    expect((await server.inject({ method: 'OPTIONS', url: '/a' })).statusCode).toBe(502);
    expect((await server.inject({ url: '/a' })).statusCode).toBe(200);
  });

  it('holds a request for the added latency', async () => {
    const { app: server } = await app('latency=120ms');
    const started = performance.now();
    expect((await server.inject({ url: '/a' })).statusCode).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(119);
  });
});

/** One request with this Host (fetch cannot set it), its status and body. */
function rawRequest(port: string, method: string, host: string, body: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, method, path: '/faults', headers: { host } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(method === 'PUT' ? body : undefined);
  });
}

describe('the faults admin endpoint over HTTP', () => {
  async function admin() {
    const faults = injector('none', 'grpc', { knownCalls: () => ['/store.v1.ItemsService/GetItem'] });
    const server = await listenOnLoopback(
      createServer((req, res) => {
        if (!handleFaultAdmin(faults, req, res)) res.writeHead(404).end();
      }),
    );
    onTestFinished(() => server.close());
    return { faults, base: `${server.url}/faults` };
  }
  const json = (response: Response) =>
    response.json() as Promise<{ faults: string; spec: object; message: string }>;

  it('answers only requests addressed to this machine (a DNS-rebinding page gets 403 and changes nothing)', async () => {
    const { faults, base } = await admin();
    const port = new URL(base).port;
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const refused = await rawRequest(port, method, 'evil.example', 'error-rate=1');
      expect(refused.status, method).toBe(403);
      expect(JSON.parse(refused.body)).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
    }
    expect(faults.spec.errorRate).toBe(0);
    expect((await rawRequest(port, 'PUT', `localhost:${port}`, 'error-rate=1')).status).toBe(200);
    expect(faults.spec.errorRate).toBe(1);
  });

  it('sets (compact or JSON), shows and clears the faults', async () => {
    const { faults, base } = await admin();
    let response = await fetch(base, { method: 'PUT', body: 'error-rate=0.2,fail=GetItem' });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ faults: 'error-rate=0.2,fail=GetItem' });
    expect(faults.spec.errorRate).toBe(0.2);
    response = await fetch(base, {
      method: 'PUT',
      body: '{"latencyMs":100}',
      headers: { 'content-type': 'application/json' },
    });
    expect((await json(response)).faults).toBe('latency=100ms');
    expect((await json(await fetch(base))).spec).toMatchObject({ latencyMs: 100, errorRate: 0 });
    expect((await json(await fetch(base, { method: 'DELETE' }))).faults).toBe('none');
  });

  it('answers 400 with the reason, 405 and 413, and leaves the faults alone', async () => {
    const { faults, base } = await admin();
    const bad = await fetch(base, { method: 'PUT', body: 'error-rate=7' });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'BAD_FAULT_SPEC',
      message: 'error-rate must be a fraction from 0 to 1, or a percentage such as 20%',
    });
    const unknown = await fetch(base, { method: 'PUT', body: 'fail=ListItems' });
    expect((await json(unknown)).message).toMatch(/does not serve/);
    const post = await fetch(base, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(await json(post)).toMatchObject({ statusCode: 405, code: 'METHOD_NOT_ALLOWED' });
    const big = await fetch(base, { method: 'PUT', body: 'x'.repeat(10_000) });
    expect(big.status).toBe(413);
    expect(await json(big)).toMatchObject({ statusCode: 413, code: 'TOO_LARGE' });
    expect(faults.spec.errorRate).toBe(0);
    expect((await fetch(base.replace('/faults', '/other'))).status).toBe(404);
  });
});
