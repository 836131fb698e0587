import { connect, createServer, type Socket } from 'node:net';

export interface SlowProxy {
  endpoint: string;
  /** Client→upstream chunks forwarded / dropped because the client hung up while they waited. */
  stats: { forwarded: number; dropped: number };
  /** Resolves once no chunk is waiting any more. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy that holds every client→upstream chunk for `delayMs` before forwarding it, and drops
 * it if the client connection closes meanwhile. Lets a test prove that an aborted DynamoDB request
 * never reaches the database.
 */
export async function startSlowProxy(upstream: string, delayMs: number): Promise<SlowProxy> {
  const target = new URL(upstream);
  const stats = { forwarded: 0, dropped: 0 };
  let pending = 0;
  let waiters: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const finishChunk = () => {
    pending -= 1;
    if (pending === 0) {
      for (const wake of waiters) wake();
      waiters = [];
    }
  };

  const server = createServer((client) => {
    const server = connect(Number(target.port), target.hostname);
    sockets.add(client).add(server);
    client.on('data', (chunk) => {
      pending += 1;
      setTimeout(() => {
        if (client.destroyed || server.destroyed) {
          stats.dropped += 1;
        } else {
          stats.forwarded += 1;
          server.write(chunk);
        }
        finishChunk();
      }, delayMs);
    });
    server.on('data', (chunk) => client.write(chunk));
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    settled: () => (pending === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
