import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LiveRoutes, ResolvedRoute } from '../routing/live-routes';
import { listen } from './listen';

/**
 * The edge, playing Traefik: `X-Canary` exactly equal to a running api canary's PR → that canary,
 * everything else → stable api-service. A plain reverse proxy: bodies stream both ways, hop-by-hop
 * headers are dropped, `X-Forwarded-*` is set. The router never interprets or logs the key.
 */

/** RFC 9110 §7.6.1 connection-specific headers, plus the ones a proxy must not forward. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export interface HttpRouter {
  port: number;
  close(): Promise<void>;
}

export interface HttpRouterOptions {
  routes: LiveRoutes;
  port: number;
  host?: string;
}

export async function startHttpRouter(options: HttpRouterOptions): Promise<HttpRouter> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => proxy(options.routes, agent, req, res));
  server.keepAliveTimeout = 5_000;
  await listen(server, options.port, options.host ?? '127.0.0.1');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => closeServer(server, agent),
  };
}

function proxy(
  routes: LiveRoutes,
  agent: http.Agent,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  const route = routes.resolve('api-service', req.headersDistinct['x-canary']);
  if (!route.address) {
    sendBadGateway(res, route);
    req.resume();
    return;
  }
  const upstream = http.request({
    agent,
    host: route.address.host,
    port: route.address.port,
    method: req.method,
    path: req.url,
    headers: forwardedRequestHeaders(req),
  });
  upstream.on('response', (upstreamRes) => {
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, responseHeaders(upstreamRes));
    upstreamRes.pipe(res);
    upstreamRes.on('error', () => res.destroy());
  });
  upstream.on('error', () => {
    if (res.headersSent) res.destroy();
    else sendBadGateway(res, route);
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

function forwardedRequestHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  const clientAddress = req.socket.remoteAddress ?? '';
  const priorFor = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = priorFor ? `${priorFor}, ${clientAddress}` : clientAddress;
  headers['x-forwarded-proto'] = 'http';
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  return headers;
}

function responseHeaders(res: http.IncomingMessage): http.OutgoingHttpHeaders {
  return withoutHopByHop(res.headers);
}

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  const result: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    result[name] = value;
  }
  return result;
}

function sendBadGateway(res: http.ServerResponse, route: ResolvedRoute): void {
  const body = JSON.stringify({
    statusCode: 502,
    error: 'Bad Gateway',
    message: `${route.backend.service} (${route.backend.track}) is not reachable through the dev router`,
    code: 'UPSTREAM_UNAVAILABLE',
  });
  res.writeHead(502, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function closeServer(server: http.Server, agent: http.Agent): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    agent.destroy();
  });
}
