import { connect, createServer, type Socket } from 'node:net';

export interface HoldingProxy {
  endpoint: string;
  /**
   * Client→upstream chunks: `held` are waiting now, `dropped` were discarded because the client hung
   * up while they waited, `forwarded` were passed on (at once, or by `release()`).
   */
  stats: { held: number; forwarded: number; dropped: number };
  /** From now on, holds every client→upstream chunk instead of forwarding it. */
  hold(): void;
  /** Forwards every held chunk whose client is still connected, and stops holding. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy that forwards until the test calls `hold()`; from then on it holds every client→upstream
 * chunk until the test calls `release()`, and drops it if the client connection closes first. Nothing is forwarded on a timer, so a test can prove that an
 * aborted DynamoDB request never reaches the database however slow the machine is.
 */
export async function startHoldingProxy(upstream: string): Promise<HoldingProxy> {
  const target = new URL(upstream);
  const stats = { held: 0, forwarded: 0, dropped: 0 };
  const waiting = new Map<Socket, { upstream: Socket; chunks: Buffer[] }>();
  let holding = false;
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstreamSocket = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstreamSocket);
    const entry = { upstream: upstreamSocket, chunks: [] as Buffer[] };
    waiting.set(client, entry);
    client.on('data', (chunk: Buffer) => {
      if (!holding) {
        stats.forwarded += 1;
        upstreamSocket.write(chunk);
        return;
      }
      entry.chunks.push(chunk);
      stats.held += 1;
    });
    upstreamSocket.on('data', (chunk) => client.write(chunk));
    client.on('close', () => {
      stats.dropped += entry.chunks.length;
      stats.held -= entry.chunks.length;
      entry.chunks = [];
      waiting.delete(client);
      upstreamSocket.destroy();
    });
    upstreamSocket.on('close', () => client.destroy());
    client.on('error', () => upstreamSocket.destroy());
    upstreamSocket.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const entry of waiting.values()) {
        for (const chunk of entry.chunks) entry.upstream.write(chunk);
        stats.forwarded += entry.chunks.length;
        stats.held -= entry.chunks.length;
        entry.chunks = [];
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
