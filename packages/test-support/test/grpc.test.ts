import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { bindOnLoopback } from '../src/grpc';

describe('bindOnLoopback', () => {
  it('binds a gRPC server on 127.0.0.1 and a free port that a client reaches', async () => {
    const server = new grpc.Server();
    const port = await bindOnLoopback(server);
    expect(port).toBeGreaterThan(0);
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + 5_000, (error) => (error ? reject(error) : resolve())),
    );
    client.close();
    server.forceShutdown();
  });
});
