/**
 * A real HTTP server on 127.0.0.1:0 that records which requests carried X-Canary. It plays a tiny
 * api-service: every response says who served it (`X-Served-By`, api on the PR's track when the key is
 * valid, store always stable), `/api/route` answers the route report, and CORS preflights are answered.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseCanaryKey, trackForKey } from '@pr-canary/contracts/canary-key';
import { formatServedBy, type ServedByEntry } from '@pr-canary/contracts/served-by';

export interface RecordedRequest {
  /** `host:port` as the browser sent it, i.e. which origin the request was for. */
  host: string;
  method: string;
  path: string;
  canary: string | undefined;
}

export interface TestServer {
  port: number;
  requests: RecordedRequest[];
  /** The origin of this server under a host name that reaches it (127.0.0.1 or localhost). */
  origin(hostName: '127.0.0.1' | 'localhost'): string;
  close(): Promise<void>;
}

const SERVICE_VERSION = '0.4.0';

function hopsFor(canary: string | undefined): ServedByEntry[] {
  return [
    { service: 'api-service', track: trackForKey(parseCanaryKey(canary)), version: SERVICE_VERSION },
    { service: 'store-service', track: 'stable', version: SERVICE_VERSION },
  ];
}

const PAGE = '<!doctype html><title>page</title><h1>page</h1><iframe src="/frame"></iframe>';
/** A page that calls an API on another origin as it loads (`/app?api=<origin>`), like the web UI. */
const APP = (api: string) =>
  `<!doctype html><title>app</title><h1>app</h1><script>fetch(${JSON.stringify(`${api}/data/app`)}).then(async (r) => { await r.text(); document.title = 'loaded ' + r.status; });</script>`;
const FRAME = '<!doctype html><title>frame</title><p>frame</p>';

/** Records a request (a WebSocket handshake too) and returns its X-Canary and path. */
function record(
  request: http.IncomingMessage,
  requests: RecordedRequest[],
): { canary: string | undefined; path: string } {
  const raw = request.headers['x-canary'];
  const canary = Array.isArray(raw) ? raw.join(', ') : raw;
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  requests.push({ host: request.headers.host ?? '', method: request.method ?? '', path, canary });
  return { canary, path };
}

/** RFC 6455 §4.2.2: the server proves it read the handshake by hashing the client's key with this GUID. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Accepts a WebSocket handshake on `/ws` (after recording it, the point of the exercise) and then
 * closes the connection cleanly; anything else is refused. No frames are exchanged.
 */
function handleUpgrade(request: http.IncomingMessage, socket: Socket, requests: RecordedRequest[]): void {
  const { path } = record(request, requests);
  const key = request.headers['sec-websocket-key'];
  if (path !== '/ws' || typeof key !== 'string') {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(`${key}${WEBSOCKET_GUID}`).digest('base64');
  socket.write(
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${accept}`,
      '',
      '',
    ].join('\r\n'),
  );
}

function handle(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  requests: RecordedRequest[],
): void {
  const { canary, path } = record(request, requests);
  const hops = hopsFor(canary);
  response.setHeader('X-Served-By', formatServedBy(hops));
  // Like api-service: echo the key the request was served under (a valid PR number only).
  const key = parseCanaryKey(canary);
  if (key.kind === 'valid') response.setHeader('X-Canary', key.pr);
  response.setHeader('Cache-Control', 'no-store');
  const origin = request.headers.origin;
  if (origin !== undefined) {
    response.setHeader('Access-Control-Allow-Origin', origin);
    response.setHeader('Access-Control-Expose-Headers', 'x-served-by, x-canary');
    response.setHeader('Vary', 'Origin');
  }
  if (request.method === 'OPTIONS') {
    response.writeHead(204, {
      'Access-Control-Allow-Methods': 'GET, PUT',
      'Access-Control-Allow-Headers': 'content-type, x-canary, x-test',
      'Access-Control-Max-Age': '0',
    });
    response.end();
  } else if (path === '/page') {
    response.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
  } else if (path === '/app') {
    const api = new URL(request.url ?? '/', 'http://x').searchParams.get('api') ?? '';
    if (!/^http:\/\/[a-z0-9.:-]+$/.test(api)) {
      response.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad api');
    } else {
      response.writeHead(200, { 'Content-Type': 'text/html' }).end(APP(api));
    }
  } else if (path === '/frame') {
    response.writeHead(200, { 'Content-Type': 'text/html' }).end(FRAME);
  } else if (path === '/api/route') {
    const body = { canary: key.kind === 'valid' ? key.pr : null, warning: null, hops };
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  } else if (path.startsWith('/data')) {
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true }));
  } else {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  }
}

export async function startTestServer(): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((request, response) => handle(request, response, requests));
  // Upgraded connections leave the HTTP server's bookkeeping (closeAllConnections misses them).
  const upgraded = new Set<Socket>();
  server.on('upgrade', (request, socket: Socket) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('error', () => socket.destroy());
    handleUpgrade(request, socket, requests);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    requests,
    origin: (hostName) => `http://${hostName}:${port}`,
    close: async () => {
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
