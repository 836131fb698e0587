import { execFile } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Track } from '@pr-canary/contracts/canary-key';
import type { RoutedService } from '@pr-canary/contracts/route-rule';
import {
  type ItemsServiceClient,
  type ItemsServiceHandlers,
  itemsServiceClientConstructor,
  itemsServiceDefinition,
} from '@pr-canary/proto';
import { bindOnLoopback } from '@pr-canary/test-support/grpc';
import { onTestFinished } from 'vitest';
import { runCanaryCommand } from '../src/cli/canary-command';
import { type GrpcRouter, startGrpcRouter } from '../src/router/grpc-router';
import { type HttpRouter, startHttpRouter } from '../src/router/http-router';
import type { LiveRoutes } from '../src/routing/live-routes';

/** What a test gRPC backend observed, so tests can check what the router forwarded. */
export interface BackendObservations {
  cancelledCalls: number;
  lastMetadata: grpc.Metadata | undefined;
  lastDeadline: grpc.Deadline | undefined;
}

export interface TestGrpcBackend {
  port: number;
  seen: BackendObservations;
  stop(): Promise<void>;
  /** Drops every connection at once, as a killed process would. */
  crash(): void;
}

const SLOW_ITEM_ID = 'slow';
const MISSING_ITEM_ID = 'missing';

/** A real grpc-js ItemsService whose answers name the track that served them. */
export async function startGrpcBackend(track: Track): Promise<TestGrpcBackend> {
  const seen: BackendObservations = { cancelledCalls: 0, lastMetadata: undefined, lastDeadline: undefined };
  const server = new grpc.Server();
  server.addService(itemsServiceDefinition(), itemsHandlers(track, seen));
  const port = await bindOnLoopback(server);
  const backend = {
    port,
    seen,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    crash: () => server.forceShutdown(),
  };
  onTestFinished(() => server.forceShutdown());
  return backend;
}

function item(id: string, name: string) {
  return { id, name, description: '', priceCents: 1, version: 1, createdAt: '', updatedAt: '' };
}

function itemsHandlers(track: Track, seen: BackendObservations): ItemsServiceHandlers {
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in this test backend' });
  return {
    GetItem(call, callback) {
      seen.lastMetadata = call.metadata;
      seen.lastDeadline = call.getDeadline();
      call.on('cancelled', () => seen.cancelledCalls++);
      const initial = new grpc.Metadata();
      initial.set('x-served-by', `store-service;track="${track}";version="test"`);
      call.sendMetadata(initial);
      if (call.request.id === SLOW_ITEM_ID) return;
      if (call.request.id === MISSING_ITEM_ID) {
        const trailer = new grpc.Metadata();
        trailer.set('x-detail', 'no such item');
        callback({ code: grpc.status.NOT_FOUND, details: 'item missing was not found', metadata: trailer });
        return;
      }
      callback(null, { item: item(call.request.id ?? '', track) });
    },
    ExportItems(call) {
      seen.lastMetadata = call.metadata;
      if (call.metadata.get('x-test-hang').length > 0) {
        call.write({ item: item('1', track) });
        return;
      }
      for (let i = 1; i <= 3; i++) call.write({ item: item(String(i), track) });
      const trailer = new grpc.Metadata();
      trailer.set('x-exported', '3');
      call.end(trailer);
    },
    ListItems: unimplemented,
    CreateItem: unimplemented,
    UpdateItem: unimplemented,
    DeleteItem: unimplemented,
  };
}

export const TEST_ITEM_IDS = { slow: SLOW_ITEM_ID, missing: MISSING_ITEM_ID };

export async function startTestGrpcRouter(routes: LiveRoutes): Promise<GrpcRouter> {
  const router = await startGrpcRouter({ routes, port: 0 });
  onTestFinished(() => router.close());
  return router;
}

export async function startTestHttpRouter(routes: LiveRoutes): Promise<HttpRouter> {
  const router = await startHttpRouter({ routes, port: 0 });
  onTestFinished(() => router.close());
  return router;
}

export function itemsClient(port: number): ItemsServiceClient {
  const Client = itemsServiceClientConstructor();
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  onTestFinished(() => client.close());
  return client;
}

/** A real HTTP backend that answers with its track and echoes what it received. */
export async function startHttpBackend(track: Track): Promise<{ port: number; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive', 'x-track': track });
      res.end(
        JSON.stringify({
          track,
          method: req.method,
          url: req.url,
          headers: req.headers,
          canaryLines: req.headersDistinct['x-canary'] ?? [],
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  onTestFinished(stop);
  return { port: (server.address() as AddressInfo).port, stop };
}

/** A real HTTP server answering every request with `status` and the JSON body `bodyFor` returns (a string as is). */
export async function startJsonServer(
  bodyFor: (req: http.IncomingMessage) => unknown,
  status = 200,
): Promise<string> {
  const server = http.createServer((req, res) => {
    const body = bodyFor(req);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function localAddress(port: number) {
  return { host: '127.0.0.1', port };
}

/** Declares an instance and marks it running on `port`, as the stack does once it is up. */
export function declareRunning(routes: LiveRoutes, service: RoutedService, track: Track, port: number): void {
  if (!routes.status(service, track)) routes.declare(service, track);
  routes.update(service, track, { state: 'running', address: localAddress(port), restarts: 0 });
}

/** OWS (space, tab) trimmed, as every HTTP parser (Node's, Go's) hands a header line's value on. */
export function trimOws(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, '');
}

export interface ProbeFlags {
  pr?: string;
  count: number;
  expect?: string;
  skipUnreached?: boolean;
  json?: boolean;
}

/** `probe --url URL [--pr N] -n COUNT [--expect …] [--skip-unreached] [--json]` as an argv for the `canary` CLI. */
export function probeArgs(url: string, flags: ProbeFlags): string[] {
  return [
    'probe',
    '--url',
    url,
    ...(flags.pr === undefined ? [] : ['--pr', flags.pr]),
    '-n',
    String(flags.count),
    ...(flags.expect === undefined ? [] : ['--expect', flags.expect]),
    ...(flags.skipUnreached ? ['--skip-unreached'] : []),
    ...(flags.json ? ['--json'] : []),
  ];
}

const CANARY_BIN = path.resolve(__dirname, '../bin/pr-canary.mjs');

/** Runs the real `pr-canary` CLI (bin shim → tsx) and collects its output and exit code. */
export function runCanaryCli(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CANARY_BIN, ...args], { timeout: 18_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** Runs the `canary` command in this process (same code as the bin, without a node start-up). */
export async function runCanaryInProcess(args: readonly string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCanaryCommand(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}
