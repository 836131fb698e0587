/**
 * A service's own server (Fastify or grpc-js), as `startService` binds and stops it. The gRPC one is
 * in `./grpc` (grpc.ts), so an HTTP service loads nothing of it.
 */
import type { AddressInfo } from 'node:net';

/**
 * How long a server's `close` lets in-flight work finish before cutting it off (HTTP connections
 * closed, gRPC calls cancelled): with the drain before it, well inside Kubernetes' default 30 s
 * grace period, so the telemetry flush after it still runs before a SIGKILL.
 */
export const FORCE_SHUTDOWN_AFTER_MS = 10_000;

/** What `startService` needs of a service's server: bind it, and stop it finishing in-flight work. */
export interface ServiceServer {
  /** Binds host:port (port 0 = any free port) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting and resolves once in-flight work has finished. */
  close(): Promise<void>;
}

/** The part of a Fastify instance `fastifyServer` uses (so this package does not depend on Fastify). */
export interface FastifyLike {
  ready(): PromiseLike<unknown>;
  listen(options: { host: string; port: number }): PromiseLike<unknown>;
  close(): PromiseLike<unknown>;
  log: { level: string };
  server: { address(): AddressInfo | string | null; closeAllConnections(): void };
}

/**
 * Listens and returns the bound port. Fastify logs its own "Server listening at" line on listen, with
 * no option to turn it off; the service's one `listening` line (both ports) is written by
 * `runService`, so the app's logger is silenced for exactly the listen call (plugins are loaded by
 * `ready()` before).
 */
export async function listenFastify(app: FastifyLike, host: string, port: number): Promise<number> {
  await app.ready();
  const level = app.log.level;
  app.log.level = 'silent';
  try {
    await app.listen({ host, port });
  } finally {
    app.log.level = level;
  }
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/**
 * A Fastify app as the service's server: `close()` finishes in-flight requests (Fastify's close), and
 * closes every connection still open after `forceAfterMs`. Without that, one client trickling a body
 * held the close for as long as the request timeout allows (30 s), past a pod's grace period.
 */
export function fastifyServer(app: FastifyLike, forceAfterMs = FORCE_SHUTDOWN_AFTER_MS): ServiceServer {
  return {
    listen: (host, port) => listenFastify(app, host, port),
    close: async () => {
      const force = setTimeout(() => app.server.closeAllConnections(), forceAfterMs);
      try {
        await app.close();
      } finally {
        clearTimeout(force);
      }
    },
  };
}
