import type * as net from 'node:net';

/** Listens on host:port; rejects with the listen error (e.g. EADDRINUSE) instead of emitting it. */
export function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
