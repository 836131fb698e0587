import { createServer } from 'node:net';

/**
 * A port on 127.0.0.1 where nothing listens: bound on port 0 and released. For "the peer is down"
 * tests (connection refused); another process could take it in between, which tests accept.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
