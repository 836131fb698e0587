import * as grpc from '@grpc/grpc-js';
import { createServiceMetrics, type Track } from '@pr-canary/canary-context';
import { createLogger } from '@pr-canary/service-kit';
import { afterEach } from 'vitest';
import { buildApp, createHealth, listen, SERVICE_NAME } from '../src/app';
import { __short_camel__Contract } from '../src/contract';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A real server on a loopback port and a client for it, both closed after the test. */
export async function serve(track: Track = 'stable') {
  const identity = { service: SERVICE_NAME, track, version: '1.2.3' };
  const health = createHealth();
  const server = buildApp({
    identity,
    metrics: createServiceMetrics({ identity }),
    logger: createLogger({ identity, level: 'silent' }),
    trustCanaryKey: true,
    health,
  });
  const port = await listen(server, '127.0.0.1', 0);
  const Client = __short_camel__Contract();
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(() => {
    client.close();
    server.forceShutdown();
  });
  return { client, port, health };
}
