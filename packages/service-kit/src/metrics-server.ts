import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FaultInjector, handleFaultAdmin, type ServiceMetrics } from '@pr-canary/canary-context';
import { errorBody, sendErrorBody } from '@pr-canary/contracts/error-body';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` from the instance's registry on its own port and, given `faults` (only where
 * CANARY_FAULTS_ADMIN allows it), the `/faults` admin endpoint; any other path is 404, another method
 * on /metrics 405, both as contracts' JSON error body.
 */
export async function startMetricsServer(opts: {
  metrics: ServiceMetrics;
  port: number;
  host?: string;
  faults?: FaultInjector;
}): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (opts.faults && handleFaultAdmin(opts.faults, req, res, opts.host)) return;
    respond(opts.metrics, req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, 'METRICS_FAILED', 'collecting the metrics failed');
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
  if (path !== '/metrics')
    return sendError(res, 404, 'NOT_FOUND', 'this port serves GET /metrics (and /faults where allowed)');
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'metrics are read with GET');
  }
  const body = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
}

function sendError(res: ServerResponse, statusCode: number, code: string, message: string): void {
  sendErrorBody(res, errorBody(statusCode, code, message));
}
