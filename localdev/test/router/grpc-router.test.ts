import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import {
  type ExportItemsResponse__Output,
  type GetItemResponse__Output,
  healthClientConstructor,
  type ItemsServiceClient,
} from '@pr-canary/proto';
import { seededRandom } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startGrpcRouter } from '../../src/router/grpc-router';
import { LiveRoutes } from '../../src/routing/live-routes';
import { declareRunning, itemsClient, startGrpcBackend, startTestGrpcRouter, TEST_ITEM_IDS } from '../helper';

interface UnaryOutcome {
  error: grpc.ServiceError | null;
  response: GetItemResponse__Output | undefined;
  headers: grpc.Metadata | undefined;
}

function getItem(client: ItemsServiceClient, id: string, metadata = new grpc.Metadata(), deadlineMs = 5_000) {
  return new Promise<UnaryOutcome>((resolve) => {
    let headers: grpc.Metadata | undefined;
    const call = client.GetItem({ id }, metadata, { deadline: Date.now() + deadlineMs }, (error, response) =>
      resolve({ error, response, headers }),
    );
    call.on('metadata', (received) => {
      headers = received;
    });
  });
}

function canary(...entries: string[]): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const entry of entries) metadata.add('x-canary', entry);
  return metadata;
}

async function routedStack() {
  const stable = await startGrpcBackend('stable');
  const pr42 = await startGrpcBackend('pr-42');
  const routes = new LiveRoutes();
  declareRunning(routes, 'store-service', 'stable', stable.port);
  declareRunning(routes, 'store-service', 'pr-42', pr42.port);
  const router = await startTestGrpcRouter(routes);
  return { stable, pr42, routes, client: itemsClient(router.port) };
}

interface Frame {
  type: number;
  flags: number;
  streamId: number;
  length: number;
}

const FRAME_DATA = 0x0;
const FRAME_HEADERS = 0x1;
const FLAG_END_STREAM = 0x1;
const CLIENT_PREFACE_BYTES = 24;

/**
 * A backend that only listens and records the HTTP/2 frames the router's client session sends (it
 * never answers): how a request is framed on the wire, which a real server cannot show.
 */
async function frameRecorder(): Promise<{ port: number; frames: Frame[] }> {
  const frames: Frame[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = Buffer.alloc(0);
    let prefaceSeen = false;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!prefaceSeen) {
        if (buffered.length < CLIENT_PREFACE_BYTES) return;
        buffered = buffered.subarray(CLIENT_PREFACE_BYTES);
        prefaceSeen = true;
      }
      while (buffered.length >= 9 && buffered.length >= 9 + buffered.readUIntBE(0, 3)) {
        const length = buffered.readUIntBE(0, 3);
        frames.push({
          length,
          type: buffered[3] as number,
          flags: buffered[4] as number,
          streamId: buffered.readUInt32BE(5) & 0x7fffffff,
        });
        buffered = buffered.subarray(9 + length);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, frames };
}

describe('gRPC dev router (Linkerd GRPCRoute semantics)', () => {
  it('sends x-canary 42 to the PR 42 store canary and everything else to stable', async () => {
    const { client } = await routedStack();
    const cases: [grpc.Metadata, string][] = [
      [new grpc.Metadata(), 'stable'],
      [canary('42'), 'pr-42'],
      [canary('7'), 'stable'],
      [canary('042'), 'stable'],
      [canary('abc'), 'stable'],
    ];
    for (const [metadata, expected] of cases) {
      const outcome = await getItem(client, 'a', metadata);
      expect(outcome.error).toBeNull();
      expect(outcome.response?.item?.name).toBe(expected);
    }
  });

  it('never sends several x-canary entries to a canary unless every entry is exactly 42 (fuzz)', async () => {
    const { client } = await routedStack();
    const random = seededRandom(99);
    const pool = ['42', '42', '42', '7', '043', '4', '420', 'abc', '42,42', '42, 7', '999'];
    const wrong: string[] = [];
    for (let i = 0; i < 200; i++) {
      const entries = Array.from(
        { length: Math.floor(random() * 4) },
        () => pool[Math.floor(random() * pool.length)] as string,
      );
      const expected = entries.length > 0 && entries.every((e) => e === '42') ? 'pr-42' : 'stable';
      const outcome = await getItem(client, 'a', canary(...entries));
      const track = outcome.response?.item?.name ?? `error ${outcome.error?.code}`;
      if (track !== expected) wrong.push(`${JSON.stringify(entries)} → ${track}`);
    }
    expect(wrong).toEqual([]);
  });

  it('passes request metadata and the deadline to the backend, and response metadata back', async () => {
    const { client, pr42 } = await routedStack();
    const metadata = canary('42');
    metadata.set('x-request-note', 'hello');
    const outcome = await getItem(client, 'a', metadata, 3_000);
    expect(outcome.error).toBeNull();
    expect(pr42.seen.lastMetadata?.get('x-request-note')).toEqual(['hello']);
    expect(pr42.seen.lastMetadata?.get('x-canary')).toEqual(['42']);
    expect(Number(pr42.seen.lastDeadline)).toBeLessThan(Date.now() + 3_100);
    expect(outcome.headers?.get('x-served-by')).toEqual(['store-service;track="pr-42";version="test"']);
  });

  it('passes a server stream through with all messages and the custom trailer', async () => {
    const { client } = await routedStack();
    const call = client.ExportItems({}, canary('42'));
    const names: string[] = [];
    const trailer = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    for await (const message of call as AsyncIterable<ExportItemsResponse__Output>)
      names.push(message.item?.name ?? '');
    const status = await trailer;
    expect(names).toEqual(['pr-42', 'pr-42', 'pr-42']);
    expect(status.code).toBe(grpc.status.OK);
    expect(status.metadata.get('x-exported')).toEqual(['3']);
  });

  it('passes a non-OK status, its message and custom trailer metadata through unchanged', async () => {
    const { client } = await routedStack();
    const outcome = await getItem(client, TEST_ITEM_IDS.missing);
    expect(outcome.error?.code).toBe(grpc.status.NOT_FOUND);
    expect(outcome.error?.details).toBe('item missing was not found');
    expect(outcome.error?.metadata.get('x-detail')).toEqual(['no such item']);
  });

  it('ends a call at the client deadline and cancels it at the backend', async () => {
    const { client, stable } = await routedStack();
    const outcome = await getItem(client, TEST_ITEM_IDS.slow, new grpc.Metadata(), 300);
    expect(outcome.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await expect.poll(() => stable.seen.cancelledCalls).toBe(1);
  });

  it('ends a stream with UNAVAILABLE when the backend dies mid-call', async () => {
    const { client, stable } = await routedStack();
    const metadata = new grpc.Metadata();
    metadata.set('x-test-hang', '1');
    const call = client.ExportItems({}, metadata);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    await new Promise((resolve) => call.once('data', resolve));
    stable.crash();
    expect((await status).code).toBe(grpc.status.UNAVAILABLE);
  });

  it("answers UNAVAILABLE naming PR and service while PR 42's store canary is down, never stable", async () => {
    const { client, routes, pr42 } = await routedStack();
    await pr42.stop();
    routes.update('store-service', 'pr-42', { state: 'stopped', restarts: 0 });
    const outcome = await getItem(client, 'a', canary('42'));
    expect(outcome.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(outcome.error?.details).toBe("PR 42's store-service canary is declared but not running (stopped)");
    expect((await getItem(client, 'a')).response?.item?.name).toBe('stable');
  });

  it('ends health calls whose request never comes, and bounds how many may wait for one', async () => {
    const router = await startGrpcRouter({
      routes: new LiveRoutes(),
      port: 0,
      requestWait: { maxAwaitingRequest: 2, requestTimeoutMs: 300 },
    });
    onTestFinished(() => router.close());
    const session = http2.connect(`http://127.0.0.1:${router.port}`);
    onTestFinished(() => void session.destroy());
    session.on('error', () => {});
    /** A Health/Check whose request is never sent: what its answer says. */
    const silentCheck = () => {
      const stream = session.request(
        {
          ':method': 'POST',
          ':path': '/grpc.health.v1.Health/Check',
          'content-type': 'application/grpc',
          te: 'trailers',
        },
        { endStream: false },
      );
      stream.on('error', () => {});
      return new Promise<{ status: unknown; message: unknown }>((resolve) =>
        stream.on('response', (headers) =>
          resolve({ status: headers['grpc-status'], message: headers['grpc-message'] }),
        ),
      );
    };
    const waiting = [silentCheck(), silentCheck()];
    expect(await silentCheck()).toMatchObject({ status: '14' });
    for (const answer of await Promise.all(waiting))
      expect(answer).toEqual({
        status: '4',
        message: 'the health request did not arrive within 0.3 s',
      });
    // Their places are free again.
    expect((await silentCheck()).status).toBe('4');
  });

  it('says why it cannot route a health request it cannot read (compressed), and how to route it', async () => {
    const router = await startTestGrpcRouter(new LiveRoutes());
    const session = http2.connect(`http://127.0.0.1:${router.port}`);
    onTestFinished(() => void session.destroy());
    session.on('error', () => {});
    const stream = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      'grpc-encoding': 'gzip',
      te: 'trailers',
    });
    stream.on('error', () => {});
    // A message marked compressed: the router does not decompress to route.
    stream.end(Buffer.from([1, 0, 0, 0, 2, 0x1f, 0x8b]));
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on('response', resolve));
    expect(headers['grpc-status']).toBe('5');
    expect(headers['grpc-message']).toMatch(
      /^the health request cannot be read to route it \(compressed or malformed\): set :authority/,
    );
  });

  it('answers UNAVAILABLE when stable is not running or not reachable', async () => {
    const routes = new LiveRoutes();
    routes.declare('store-service', 'stable');
    const router = await startTestGrpcRouter(routes);
    const client = itemsClient(router.port);
    const notRunning = await getItem(client, 'a');
    expect(notRunning.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(notRunning.error?.details).toBe('stable store-service is not running (starting)');

    const gone = await startGrpcBackend('stable');
    declareRunning(routes, 'store-service', 'stable', gone.port);
    await gone.stop();
    const unreachable = await getItem(client, 'a');
    expect(unreachable.error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  // The backend (grpc-js runs a unary handler at END_STREAM) wakes up once per call, not twice:
  // the request message leaves the router with END_STREAM in one DATA frame, as grpc-js sends it.
  // (The first call also opens the router's session to the backend; the second runs on it, as calls do.)
  it.each([
    ['routed by path (GetItem)', 'get'],
    ['routed by the health request it reads first (Health/Check)', 'health'],
  ] as const)(
    'forwards a unary request %s as HEADERS and one DATA frame ending the stream',
    async (_, kind) => {
      const recorder = await frameRecorder();
      const routes = new LiveRoutes();
      declareRunning(routes, 'store-service', 'stable', recorder.port);
      const router = await startTestGrpcRouter(routes);
      const Health = healthClientConstructor();
      const health = new Health(`127.0.0.1:${router.port}`, grpc.credentials.createInsecure());
      onTestFinished(() => health.close());
      const items = itemsClient(router.port);
      const call = () => {
        const options = { deadline: Date.now() + 5_000 };
        if (kind === 'get') items.GetItem({ id: 'a' }, new grpc.Metadata(), options, () => {});
        else health.Check({ service: 'store.v1.ItemsService' }, new grpc.Metadata(), options, () => {});
      };
      const requestFrames = () =>
        recorder.frames.filter((f) => f.type === FRAME_HEADERS || f.type === FRAME_DATA);
      const ended = () => requestFrames().filter((f) => (f.flags & FLAG_END_STREAM) !== 0).length;
      for (const calls of [1, 2]) {
        call();
        await expect.poll(ended, { timeout: 5_000 }).toBe(calls);
      }
      const secondStream = requestFrames().at(-1)?.streamId;
      const frames = requestFrames().filter((f) => f.streamId === secondStream);
      expect(frames.map((f) => [f.type, f.flags & FLAG_END_STREAM])).toEqual([
        [FRAME_HEADERS, 0],
        [FRAME_DATA, FLAG_END_STREAM],
      ]);
      expect(frames[1]?.length).toBeGreaterThan(5);
    },
  );
});
