import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import type { CanaryKey } from '@pr-canary/contracts/canary-key';
import {
  type EchoClient,
  EchoClientConstructor,
  type EchoHandlers,
  echoServiceDefinition,
} from '@pr-canary/test-support/echo-service';
import { bindOnLoopback } from '@pr-canary/test-support/grpc';
import Fastify, { type FastifyInstance } from 'fastify';
import { onTestFinished } from 'vitest';
import { currentCanaryKey } from '../src/context';
import { canaryFastifyPlugin } from '../src/fastify-plugin';
import { canaryClientInterceptor, canaryServerInterceptor } from '../src/grpc';
import type { InstanceIdentity } from '../src/identity';
import { createServiceMetrics, type ServiceMetrics } from '../src/metrics';

export const apiIdentity: InstanceIdentity = { service: 'api-service', track: 'stable', version: '0.4.0' };
export const storeIdentity: InstanceIdentity = { service: 'store-service', track: 'pr-42', version: '0.5.0' };

export function randomPr(): string {
  return String(1 + Math.floor(Math.random() * 999_999_998));
}

/** Describes a key compactly for assertions: `42`, `absent` or `invalid:<reason>`. */
export function describeKey(key: CanaryKey): string {
  if (key.kind === 'valid') return key.pr;
  return key.kind === 'invalid' ? `invalid:${key.reason}` : 'absent';
}

/** Hops across awaits, timers, Promise.all and an EventEmitter, then reports the key seen at each step. */
export async function keysAcrossAsyncHops(): Promise<string[]> {
  const seen = [describeKey(currentCanaryKey())];
  await sleep(Math.floor(Math.random() * 4));
  seen.push(describeKey(currentCanaryKey()));
  const [fromTimer, fromMicrotask] = await Promise.all([
    sleep(1).then(() => describeKey(currentCanaryKey())),
    Promise.resolve().then(() => describeKey(currentCanaryKey())),
  ]);
  seen.push(fromTimer, fromMicrotask);
  const emitter = new EventEmitter();
  const event = once(emitter, 'tick');
  setImmediate(() => emitter.emit('tick', describeKey(currentCanaryKey())));
  seen.push(...((await event) as string[]));
  return seen;
}

export interface TestApp {
  app: FastifyInstance;
  metrics: ServiceMetrics;
}

/** A Fastify app with the canary plugin; `routes` adds the test's routes. Closed after the test. */
export async function buildTestApp(
  routes: (app: FastifyInstance) => void,
  opts: { trustHeader?: boolean; before?: (app: FastifyInstance) => void } = {},
): Promise<TestApp> {
  const metrics = createServiceMetrics({ identity: apiIdentity });
  const app = Fastify();
  opts.before?.(app);
  await app.register(canaryFastifyPlugin, {
    identity: apiIdentity,
    trustHeader: opts.trustHeader ?? true,
    metrics,
  });
  routes(app);
  await app.ready();
  onTestFinished(() => app.close());
  return { app, metrics };
}

/** Starts an echo gRPC server with the canary server interceptor on 127.0.0.1:0. */
export async function startEchoServer(
  handlers: EchoHandlers,
  opts: { identity?: InstanceIdentity; trustKey?: boolean; after?: grpc.ServerInterceptor[] } = {},
): Promise<{ address: string; metrics: ServiceMetrics }> {
  const identity = opts.identity ?? storeIdentity;
  const metrics = createServiceMetrics({ identity });
  const server = new grpc.Server({
    interceptors: [
      canaryServerInterceptor({ identity, trustKey: opts.trustKey ?? true, metrics }),
      ...(opts.after ?? []),
    ],
  });
  server.addService(echoServiceDefinition, handlers);
  const port = await bindOnLoopback(server);
  onTestFinished(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
  return { address: `127.0.0.1:${port}`, metrics };
}

/** An echo client; with `intercept` it carries the canary interceptor. Closed after the test. */
export function echoClient(
  address: string,
  opts: { intercept?: boolean; metrics?: ServiceMetrics } = {},
): EchoClient {
  const interceptors = opts.intercept === false ? [] : [canaryClientInterceptor({ metrics: opts.metrics })];
  const client = new EchoClientConstructor(address, grpc.credentials.createInsecure(), { interceptors });
  onTestFinished(() => client.close());
  return client;
}

export function unary(client: EchoClient, text: string, metadata = new grpc.Metadata()) {
  return new Promise<{ text: string }>((resolve, reject) =>
    client.unary({ text }, metadata, (err, response) => (err || !response ? reject(err) : resolve(response))),
  );
}

/** Sum of a series in the Prometheus text exposition (histograms: their `_count`), 0 when absent. */
export async function metricValue(
  metrics: ServiceMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const text = await metrics.registry.metrics();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || (match[1] !== name && match[1] !== `${name}_count`)) continue;
    const lineLabels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => lineLabels[k] === v)) sum += Number(match[3]);
  }
  return sum;
}
