import * as grpc from '@grpc/grpc-js';
import { type HealthClient, healthClientConstructor } from '@pr-canary/proto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGrpcHealth, drainGrpc, listenGrpc } from '../src/grpc';

/** A grpc-js server with health for `names` on a loopback port, and a health client for it. */
async function served(names: string[]) {
  const health = createGrpcHealth(names);
  const server = new grpc.Server();
  health.addToServer(server);
  const port = await listenGrpc(server, '127.0.0.1', 0);
  const Health = healthClientConstructor();
  const client = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  onTestFinished(() => {
    client.close();
    server.forceShutdown();
  });
  return { health, server, client, port };
}

function check(client: HealthClient, service: string): Promise<string> {
  return new Promise((resolve) =>
    client.Check({ service }, (error, response) =>
      resolve(error ? grpc.status[error.code] : String(response?.status)),
    ),
  );
}

describe('gRPC helpers', () => {
  it('serve grpc.health.v1 for the server ("") and each name, all NOT_SERVING at once when shutdown starts', async () => {
    const { health, client, port } = await served(['demo.v1.Demo']);
    expect(port).toBeGreaterThan(0);
    expect(await check(client, '')).toBe('SERVING');
    expect(await check(client, 'demo.v1.Demo')).toBe('SERVING');
    expect(await check(client, 'other.v1.Other')).toBe('NOT_FOUND');

    health.set('demo.v1.Demo', 'NOT_SERVING');
    expect(await check(client, 'demo.v1.Demo')).toBe('NOT_SERVING');
    expect(await check(client, '')).toBe('SERVING');
    health.setAll('NOT_SERVING');
    expect(await check(client, '')).toBe('NOT_SERVING');
    expect(health.status('demo.v1.Demo')).toBe('NOT_SERVING');
  });

  it('drain a server: a call still running when the deadline passes is cut off, and the drain ends', async () => {
    const { server, client } = await served([]);
    // Watch streams until the server ends it, so it is in flight for the whole drain.
    const watch = client.Watch({ service: '' });
    const first = new Promise((resolve) => watch.once('data', resolve));
    const ended = new Promise<grpc.ServiceError | undefined>((resolve) => {
      watch.once('error', resolve);
      watch.once('end', () => resolve(undefined));
    });
    expect(await first).toMatchObject({ status: 'SERVING' });
    await drainGrpc(server, 100);
    expect((await ended)?.code).toBeDefined();
  });

  it('refuse to bind an address that is taken, with the reason', async () => {
    const { port } = await served([]);
    const second = new grpc.Server();
    onTestFinished(() => second.forceShutdown());
    await expect(listenGrpc(second, '127.0.0.1', port)).rejects.toThrow(/No address added|EADDRINUSE/);
  });
});
