import * as grpc from '@grpc/grpc-js';
import { createServiceMetrics, type Track } from '@pr-canary/canary-context';
import { afterEach } from 'vitest';
import { __short_camel__Contract } from '../src/contract';
import { bind, createHealth, createServer, SERVICE_NAME } from '../src/service';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A real server on a loopback port and a client for it, both closed after the test. */
export async function serve(track: Track = 'stable') {
  const identity = { service: SERVICE_NAME, track, version: '1.2.3' };
  const health = createHealth();
  const server = createServer({
    identity,
    metrics: createServiceMetrics({ identity }),
    trustCanaryKey: true,
    health,
  });
  const port = await bind(server, '127.0.0.1', 0);
  const Client = __short_camel__Contract();
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(() => {
    client.close();
    server.forceShutdown();
  });
  return { client, port, health };
}
