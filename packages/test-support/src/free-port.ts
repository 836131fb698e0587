import { createServer, type Server } from 'node:net';

/**
 * A port on 127.0.0.1 where nothing listens: bound on port 0 and released. For "the peer is down"
 * tests (connection refused); another process could take it in between, which tests accept.
 */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port as number;
}

/**
 * `count` different free ports: all are held until the last is bound, then released together. Two
 * `freePort()` calls in a row may return the same port (the first was released before the second
 * was bound), and a stack given it for two roles refuses to start.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(
      servers.map(
        (server) => new Promise((resolve) => (server.listening ? server.close(resolve) : resolve(undefined))),
      ),
    );
  }
}
