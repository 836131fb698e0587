import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FaultInjector, handleFaultAdmin, type ServiceMetrics } from '@pr-canary/canary-context';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` from the instance's registry on its own port and, given `faults` (only where
 * CANARY_FAULTS_ADMIN allows it), the `/faults` admin endpoint; everything else is 404.
 */
export async function startMetricsServer(opts: {
  metrics: ServiceMetrics;
  port: number;
  host?: string;
  faults?: FaultInjector;
}): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (opts.faults && handleFaultAdmin(opts.faults, req, res)) return;
    respond(opts.metrics, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('metrics collection failed\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function respond(metrics: ServiceMetrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '').split('?', 1)[0];
  if (req.method !== 'GET' || path !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const body = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
}
