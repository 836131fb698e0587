import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { parseCanaryKey } from '@pr-canary/contracts/canary-key';
import { parseServedBy, type ServedByEntry } from '@pr-canary/contracts/served-by';
import {
  type EchoClient,
  EchoClientConstructor,
  type EchoHandlers,
  type EchoMessage,
} from '@pr-canary/test-support/echo-service';
import { describe, expect, it } from 'vitest';
import { currentCanaryKey, currentScope, runWithCanary } from '../src/context';
import { canaryClientInterceptor } from '../src/grpc';
import { createServiceMetrics } from '../src/metrics';
import {
  apiIdentity,
  describeKey,
  echoClient,
  keysAcrossAsyncHops,
  metricValue,
  randomPr,
  startEchoServer,
  storeIdentity,
  unary,
} from './helper';

const frontIdentity = { service: 'front-service', track: 'pr-42', version: '1.2.3' } as const;

/** What the backend saw: the key in scope plus the raw canary metadata that reached it. */
function reportingHandlers(): EchoHandlers {
  const report = (call: { metadata: grpc.Metadata }) =>
    JSON.stringify({
      key: describeKey(currentCanaryKey()),
      xCanary: call.metadata.get('x-canary'),
      baggage: call.metadata.get('baggage'),
    });
  return {
    unary: (call, callback) => callback(null, { text: report(call) }),
    serverStream: async (call) => {
      for (let i = 0; i < 3; i++) {
        const seen = await keysAcrossAsyncHops();
        call.write({ text: seen.join(',') });
      }
      call.end();
    },
    clientStream: (call, callback) => {
      const seen: string[] = [];
      call.on('data', (message: EchoMessage) =>
        seen.push(`${message.text}:${describeKey(currentCanaryKey())}`),
      );
      call.on('end', () => callback(null, { text: seen.join(',') }));
    },
  };
}

/**
 * A middle hop (`frontIdentity`) in front of a reporting backend: its unary handler is `relay`, given
 * a client of the backend; its other methods report.
 */
async function throughMiddleHop(relay: (backend: EchoClient) => EchoHandlers['unary']) {
  const backend = await startEchoServer(reportingHandlers());
  return startEchoServer(
    { ...reportingHandlers(), unary: relay(echoClient(backend.address)) },
    { identity: frontIdentity },
  );
}

function readAll(stream: grpc.ClientReadableStream<EchoMessage>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const texts: string[] = [];
    stream.on('data', (message: EchoMessage) => texts.push(message.text));
    stream.on('error', reject);
    stream.on('end', () => resolve(texts));
  });
}

/** One call, not intercepted on the client side, carrying `sent` as entries of `entryKey`: what the server saw. */
async function callWithEntries(entryKey: 'x-canary' | 'baggage', sent: readonly string[]) {
  const { address, metrics } = await startEchoServer(reportingHandlers());
  const metadata = new grpc.Metadata();
  for (const value of sent) metadata.add(entryKey, value);
  const seen = JSON.parse((await unary(echoClient(address, { intercept: false }), 'x', metadata)).text);
  const invalidKeys = (reason: string) =>
    metricValue(metrics, 'pr_canary_invalid_canary_key_total', { reason });
  return { seen, invalidKeys };
}

describe('canary gRPC interceptors over real sockets', () => {
  it('sends x-canary and one baggage canary entry, merged with existing baggage', async () => {
    const { address } = await startEchoServer(reportingHandlers());
    const client = echoClient(address);
    const metadata = new grpc.Metadata();
    metadata.set('baggage', 'canary=7,tenant=acme');
    const response = await runWithCanary(parseCanaryKey('42'), () => unary(client, 'hi', metadata));
    const seen = JSON.parse(response.text) as { key: string; xCanary: string[]; baggage: string[] };
    expect(seen).toMatchObject({ key: '42', xCanary: ['42'] });
    // One baggage value; W3C baggage is an unordered set of members.
    expect(seen.baggage).toHaveLength(1);
    expect(seen.baggage[0]?.split(',').sort()).toEqual(['canary=42', 'tenant=acme']);
  });

  it('reads and writes baggage as W3C baggage: percent-encoding, properties and other members kept', async () => {
    const { address } = await startEchoServer(reportingHandlers());
    const raw = echoClient(address, { intercept: false });
    const metadata = new grpc.Metadata();
    metadata.set('baggage', 'user=J%C3%B6rg;source=web, canary=%34%32');
    expect(JSON.parse((await unary(raw, 'a', metadata)).text)).toEqual({
      key: '42',
      xCanary: ['42'],
      baggage: ['user=J%C3%B6rg;source=web,canary=42'],
    });
  });

  it('never propagates an invalid key and strips a stale one from the metadata', async () => {
    const { address } = await startEchoServer(reportingHandlers());
    const client = echoClient(address);
    const metadata = new grpc.Metadata();
    metadata.set('x-canary', '42');
    metadata.set('baggage', 'canary=42');
    const response = await runWithCanary(parseCanaryKey('4 2'), () => unary(client, 'hi', metadata));
    expect(JSON.parse(response.text)).toEqual({ key: 'absent', xCanary: [], baggage: [] });
  });

  it('leaves metadata alone outside a scope', async () => {
    const { address } = await startEchoServer(reportingHandlers());
    const metadata = new grpc.Metadata();
    metadata.set('x-canary', '9');
    const response = await unary(echoClient(address), 'hi', metadata);
    expect(JSON.parse(response.text)).toMatchObject({ key: '9', xCanary: ['9'] });
  });

  it.each([
    { sent: ['42', '42'], key: '42' },
    { sent: ['42,42'], key: 'invalid:list' },
    { sent: ['42', '7'], key: 'invalid:conflicting_values' },
  ])('reads x-canary entries as the mesh routes them: $sent → $key', async ({ sent, key }) => {
    // Node's HTTP/2 joins repeated entries with ", " before grpc-js reads them; one entry `42,42` is
    // not routed to PR 42 by an exact match, so it must not become 42 for the next hop either.
    const { seen, invalidKeys } = await callWithEntries('x-canary', sent);
    expect(seen.key).toBe(key);
    if (key.startsWith('invalid')) {
      expect(seen.xCanary).toEqual([]);
      expect(await invalidKeys(key.slice('invalid:'.length))).toBe(1);
    } else expect(seen.xCanary).toEqual([key]);
  });

  it('falls back to baggage when x-canary is absent, and validates it', async () => {
    const { address } = await startEchoServer(reportingHandlers());
    const raw = echoClient(address, { intercept: false });
    const withBaggage = new grpc.Metadata();
    withBaggage.set('baggage', 'other=1, canary=31;prop=x');
    const invalidBaggage = new grpc.Metadata();
    invalidBaggage.set('baggage', 'canary=031');
    expect(JSON.parse((await unary(raw, 'a', withBaggage)).text)).toEqual({
      key: '31',
      xCanary: ['31'],
      baggage: ['other=1,canary=31'],
    });
    expect(JSON.parse((await unary(raw, 'b', invalidBaggage)).text)).toEqual({
      key: 'invalid:leading_zero',
      xCanary: [],
      baggage: [],
    });
  });

  it.each([
    { sent: ['canary=7,canary=8'], key: 'invalid:conflicting_values' },
    { sent: ['canary=8, other=1', 'canary=7'], key: 'invalid:conflicting_values' },
    { sent: ['canary=7;p=1, can%61ry=%37'], key: '7' },
  ])(
    'takes several baggage canary members like several x-canary values: $sent → $key',
    async ({ sent, key }) => {
      const { seen, invalidKeys } = await callWithEntries('baggage', sent);
      expect(seen.key).toBe(key);
      // Never resolved by order: a refused key reaches neither the handler's metadata nor its baggage.
      if (key.startsWith('invalid')) {
        expect(seen.xCanary).toEqual([]);
        expect(seen.baggage.join(',')).not.toContain('canary');
        expect(await invalidKeys('conflicting_values')).toBe(1);
      } else expect(seen.xCanary).toEqual([key]);
    },
  );

  it('counts invalid keys and ignores keys entirely when the key is not trusted', async () => {
    const trusted = await startEchoServer(reportingHandlers());
    const untrusted = await startEchoServer(reportingHandlers(), { trustKey: false });
    const metadata = () => {
      const m = new grpc.Metadata();
      m.set('x-canary', 'abc');
      return m;
    };
    await unary(echoClient(trusted.address, { intercept: false }), 'x', metadata());
    const ignoredMetadata = metadata();
    ignoredMetadata.set('baggage', 'canary=42,tenant=acme');
    const ignored = await unary(echoClient(untrusted.address, { intercept: false }), 'x', ignoredMetadata);
    // An untrusted key never reaches the handler's metadata (nor OTel's baggage extracted from it).
    expect(JSON.parse(ignored.text)).toEqual({ key: 'absent', xCanary: [], baggage: ['tenant=acme'] });
    const labels = { source: 'grpc', reason: 'not_digits', track: 'pr-42' };
    expect(await metricValue(trusted.metrics, 'pr_canary_invalid_canary_key_total', labels)).toBe(1);
    expect(await metricValue(untrusted.metrics, 'pr_canary_invalid_canary_key_total', {})).toBe(0);
  });

  it('collects the served-by chain through a middle hop, in call order', async () => {
    const middle = await throughMiddleHop((backend) => async (call, callback) => {
      callback(null, await unary(backend, call.request.text));
    });
    const seenByCallback: ServedByEntry[][] = [];
    const client = new EchoClientConstructor(middle.address, grpc.credentials.createInsecure(), {
      interceptors: [canaryClientInterceptor({ onServedBy: (entries) => seenByCallback.push(entries) })],
    });
    try {
      const { response, downstream } = await runWithCanary(parseCanaryKey('42'), async () => {
        const res = await unary(client, 'hop');
        return { response: res, downstream: currentScope()?.downstream };
      });
      expect(JSON.parse(response.text)).toMatchObject({ key: '42', xCanary: ['42'] });
      const expected = [frontIdentity, storeIdentity].map(({ service, track, version }) => ({
        service,
        track,
        version,
      }));
      expect(downstream).toEqual(expected);
      expect(seenByCallback).toEqual([expected]);
    } finally {
      client.close();
    }
  });

  it('sends x-served-by in initial metadata and trailers, also for errors', async () => {
    const { address } = await startEchoServer({
      ...reportingHandlers(),
      unary: (_call, callback) => callback({ code: grpc.status.NOT_FOUND, details: 'no such item' }),
    });
    const client = echoClient(address, { intercept: false });
    const call = client.unary({ text: 'x' }, new grpc.Metadata(), () => {});
    const [status] = (await once(call, 'status')) as [grpc.StatusObject];
    expect(status.code).toBe(grpc.status.NOT_FOUND);
    expect(parseServedBy(String(status.metadata.get('x-served-by')[0]))).toEqual([
      { service: 'store-service', track: 'pr-42', version: '0.5.0' },
    ]);
  });

  it('keeps the key for server-streaming handlers across awaits and for client-streaming data events', async () => {
    const { address } = await startEchoServer(reportingHandlers());
    const client = echoClient(address);
    const streamed = await runWithCanary(parseCanaryKey('8'), () =>
      readAll(client.serverStream({ text: 's' })),
    );
    expect(streamed).toHaveLength(3);
    for (const text of streamed) expect(new Set(text.split(','))).toEqual(new Set(['8']));

    const collected = await runWithCanary(
      parseCanaryKey('9'),
      () =>
        new Promise<string>((resolve, reject) => {
          const call = client.clientStream(new grpc.Metadata(), (err, res) =>
            err || !res ? reject(err) : resolve(res.text),
          );
          call.write({ text: 'a' });
          setTimeout(() => {
            call.write({ text: 'b' });
            call.end();
          }, 2);
        }),
    );
    expect(collected).toBe('a:9,b:9');
  });

  it('records the hop from response headers while a stream is still running, and only once', async () => {
    const { address } = await startEchoServer(reportingHandlers());
    const client = echoClient(address);
    const store = {
      service: storeIdentity.service,
      track: storeIdentity.track,
      version: storeIdentity.version,
    };
    const { atFirstMessage, atEnd } = await runWithCanary(parseCanaryKey('8'), async () => {
      const stream = client.serverStream({ text: 's' });
      const [first] = await Promise.all([
        new Promise<ServedByEntry[]>((resolve) =>
          stream.once('data', () => resolve([...(currentScope()?.downstream ?? [])])),
        ),
        readAll(stream),
      ]);
      return { atFirstMessage: first, atEnd: currentScope()?.downstream };
    });
    expect(atFirstMessage).toEqual([store]);
    expect(atEnd).toEqual([store]);
  });

  it('keeps 200 concurrent calls with random keys isolated through a middle hop', async () => {
    const middle = await throughMiddleHop((backend) => async (call, callback) => {
      const before = await keysAcrossAsyncHops();
      const downstream = JSON.parse((await unary(backend, call.request.text)).text) as { key: string };
      const after = describeKey(currentCanaryKey());
      callback(null, { text: JSON.stringify({ seen: [...before, downstream.key, after] }) });
    });
    const client = echoClient(middle.address);
    const results = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const pr = randomPr();
        const response = await runWithCanary(parseCanaryKey(pr), () => unary(client, pr));
        return { pr, seen: (JSON.parse(response.text) as { seen: string[] }).seen };
      }),
    );
    for (const { pr, seen } of results) expect(new Set(seen)).toEqual(new Set([pr]));
  });

  it('records server and client RPC metrics with status names', async () => {
    const { address, metrics: serverMetrics } = await startEchoServer({
      ...reportingHandlers(),
      unary: (call, callback) =>
        call.request.text === 'fail'
          ? callback({ code: grpc.status.FAILED_PRECONDITION, details: 'nope' })
          : callback(null, { text: 'ok' }),
    });
    const clientMetrics = createServiceMetrics({ identity: apiIdentity });
    const client = echoClient(address, { metrics: clientMetrics });
    await runWithCanary(parseCanaryKey('5'), () => unary(client, 'ok'));
    await expect(unary(client, 'fail')).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
    const method = { grpc_service: 'test.v1.EchoService', grpc_method: 'Unary' };
    expect(
      await metricValue(serverMetrics, 'pr_canary_grpc_server_handled_total', {
        ...method,
        grpc_code: 'OK',
        canary: 'present',
      }),
    ).toBe(1);
    expect(
      await metricValue(serverMetrics, 'pr_canary_grpc_server_handled_total', {
        ...method,
        grpc_code: 'FAILED_PRECONDITION',
        canary: 'absent',
      }),
    ).toBe(1);
    expect(await metricValue(serverMetrics, 'pr_canary_grpc_server_handling_seconds', method)).toBe(2);
    expect(
      await metricValue(clientMetrics, 'pr_canary_grpc_client_handled_total', {
        ...method,
        grpc_code: 'OK',
        track: 'stable',
      }),
    ).toBe(1);
    expect(await metricValue(clientMetrics, 'pr_canary_grpc_client_handling_seconds', method)).toBe(2);
  });
});
