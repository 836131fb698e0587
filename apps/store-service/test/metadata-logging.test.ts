/**
 * Untrusted gRPC metadata never reaches the logs raw. The real store process (src/server.ts) gets
 * calls over a real HTTP/2 socket with fuzzed metadata that grpc-js refuses — values up to 8 KiB of
 * bytes outside printable ASCII, keys outside the gRPC alphabet — and every line it writes, to stdout
 * or stderr, stays short and free of what was sent. Before routing grpc-js's own logger, each such
 * call printed the whole value twice to stderr.
 */
import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as path from 'node:path';
import { type ServiceProcess, startServiceProcess } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { dynaliteEndpoint } from './helper';

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const MARKER = 'fuzzmarker';
/** Longest line any log line may be (JSON, with the service's fields and an error's stack). */
const MAX_LINE_LENGTH = 4096;
const CALLS = 120;

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** A header value Node's HTTP/2 client will send but grpc-js refuses: latin1 bytes 0x80–0xff inside. */
function fuzzedValue(next: () => number, length: number): string {
  let value = MARKER;
  while (value.length < length) {
    const roll = next();
    value +=
      roll < 0.5
        ? String.fromCharCode(0x80 + Math.floor(next() * 0x80))
        : roll < 0.9
          ? String.fromCharCode(0x20 + Math.floor(next() * 0x5f))
          : '\t';
  }
  return `${value.slice(0, length - 1)}\u00ff`;
}

/** One GetItem call with extra raw headers; resolves when the server has answered. */
async function rawCall(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders) {
  const stream = session.request({
    ':method': 'POST',
    ':path': '/store.v1.ItemsService/GetItem',
    'content-type': 'application/grpc',
    te: 'trailers',
    ...headers,
  });
  stream.on('error', () => {});
  stream.resume();
  stream.end(Buffer.from([0, 0, 0, 0, 0]));
  await once(stream, 'close');
}

/** An HTTP/2 session to the store, closed when the test ends. */
function connect(port: number): http2.ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  onTestFinished(() => session.destroy());
  return session;
}

/** The real store process; stopped when the test ends. */
async function startStore(): Promise<{ server: ServiceProcess; port: number; metricsPort: number }> {
  const server: ServiceProcess = startServiceProcess({
    cwd: PACKAGE_ROOT,
    env: {
      OTEL_SDK_DISABLED: 'true',
      PORT: '0',
      METRICS_PORT: '0',
      DYNAMODB_TABLE: 'items',
      DYNAMODB_ENDPOINT: await dynaliteEndpoint(),
      DYNAMODB_CREATE_TABLE: 'true',
      SHUTDOWN_DRAIN_MS: '0',
    },
  });
  onTestFinished(() => server.stop());
  const listening = await server.waitForLog((line) => line.msg === 'listening');
  return { server, port: Number(listening.port), metricsPort: Number(listening.metricsPort) };
}

describe('store-service as a process, under fuzzed metadata', () => {
  it(`${CALLS} calls with invalid metadata values (up to 8 KiB) and keys produce no raw or over-long line`, async () => {
    const { server, port } = await startStore();
    const session = connect(port);
    const next = random(42);
    const sizes = [1, 64, 1024, 4096, 8192];
    for (let call = 0; call < CALLS; call += 1) {
      const size = sizes[call % sizes.length] ?? 1;
      const headers: http2.OutgoingHttpHeaders =
        call % 4 === 3
          ? // A key grpc-js refuses (HTTP allows `!` and `~` in names, gRPC does not).
            { [`x-${MARKER}!~${'k'.repeat(Math.floor(next() * 200))}`]: 'v' }
          : { [`x-fuzz-${call % 7}`]: fuzzedValue(next, size) };
      await rawCall(session, headers);
    }
    session.close();

    // A graceful stop flushes everything the process wrote; then every line is in.
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const stderr = server.stderr();
    expect(stderr).not.toContain(MARKER);
    expect(stderr).not.toContain('Failed to add metadata entry');
    const lines = server.logs.map((line) => JSON.stringify(line));
    for (const line of lines) {
      expect(line).not.toContain(MARKER);
      expect(line.length).toBeLessThanOrEqual(MAX_LINE_LENGTH);
    }
    // grpc-js's complaints did arrive, through the service logger, naming the key only — and not
    // one line per call (at most one per 10 s: a peer cannot flood the logs this way).
    const dropped = server.logs.filter((line) => line.lib === 'grpc-js');
    expect(dropped.length).toBeGreaterThanOrEqual(1);
    expect(dropped.length).toBeLessThan(CALLS / 10);
    expect(dropped[0]).toMatchObject({
      level: 40,
      service: 'store-service',
      msg: expect.stringMatching(/^grpc-js dropped an invalid metadata entry \(value not logged/),
      key: expect.stringMatching(/^x-fuzz-\d$/),
    });
  });

  it('counts an x-canary value grpc-js refuses as an invalid key, though the call arrives without one', async () => {
    const { port, metricsPort } = await startStore();
    const session = connect(port);
    // A tab and a byte outside ASCII: both are dropped by grpc-js's metadata rules before any interceptor.
    for (const value of ['4\t2', '42\u00e9', '4\t2']) await rawCall(session, { 'x-canary': value });
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^pr_canary_invalid_canary_key_total\{[^}]*source="grpc"[^}]*\} 3$/m);
  });
});
