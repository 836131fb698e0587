/**
 * The web UI as `npm start` serves it by default: the production build (`vite build`, cached by turbo)
 * as static files from the runner's own process, with the stack's URLs in a generated `/config.json`
 * (the web UI's deploy-time config, as a cluster mounts it). No dev server, no esbuild: ~120 MB and two
 * processes less than Vite's dev server (`--web-dev` still runs that, for hot reload).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { errorBody } from '@pr-canary/contracts/error-body';
import { listen } from '../router/listen';

export interface StaticWebServer {
  url: string;
  close(): Promise<void>;
}

/** What the UI reads from `/config.json` (apps/web/src/config.ts `parseRuntimeConfig`). */
export interface WebRuntimeConfig {
  apiUrl: string;
  tracesUrl?: string;
  stackUrl: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Headers a meta tag cannot set (the build's CSP meta covers the rest). */
const SECURITY_HEADERS = {
  'content-security-policy': "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export class WebBuildMissingError extends Error {
  override name = 'WebBuildMissingError';
}

/**
 * Serves `root` (a `vite build` output folder) on host:port: GET and HEAD only, files below `root`
 * only (no traversal, no dot files, no directory listings), `/` → index.html, `/config.json` from
 * `config()`; errors (404, 405) in contracts' JSON error body. Every answer is `no-cache`, so a rebuilt
 * UI shows on the next reload.
 */
export async function startStaticWebServer(opts: {
  root: string;
  host: string;
  port: number;
  config: () => WebRuntimeConfig;
}): Promise<StaticWebServer> {
  const root = path.resolve(opts.root);
  const index = path.join(root, 'index.html');
  if (!(await isFile(index)))
    throw new WebBuildMissingError(
      `the web UI is not built (${index} is missing): npm start builds it; or run npm run build -w @pr-canary/web`,
    );
  const server = createServer((req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'the web UI server failed');
      else res.destroy();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'the web UI is read with GET or HEAD');
    }
    const pathname = decodedPath(req.url ?? '/');
    if (pathname === '/config.json')
      return send(res, 200, CONTENT_TYPES['.json'] as string, JSON.stringify(opts.config()), req.method);
    const file =
      pathname === undefined ? undefined : fileBelow(root, pathname === '/' ? '/index.html' : pathname);
    if (file === undefined || !(await isFile(file)))
      return sendError(res, 404, 'NOT_FOUND', 'no such file in the web UI build', req.method);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  await listen(server, opts.port, opts.host);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The request path, percent-decoded; undefined when it cannot be decoded or holds a NUL. */
function decodedPath(url: string): string | undefined {
  const raw = url.split(/[?#]/, 1)[0] ?? '/';
  try {
    const decoded = decodeURIComponent(raw);
    return decoded.includes('\0') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/** The file `pathname` names below `root`; undefined for anything outside it or any dot-named segment. */
function fileBelow(root: string, pathname: string): string | undefined {
  const segments = pathname.split(/[/\\]/).filter((segment) => segment !== '');
  if (segments.some((segment) => segment.startsWith('.'))) return undefined;
  const file = path.resolve(root, ...segments);
  return file.startsWith(`${root}${path.sep}`) ? file : undefined;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** An error as contracts' one JSON error body, like every other endpoint of the stack. */
function sendError(res: ServerResponse, status: number, code: string, message: string, method = 'GET'): void {
  send(
    res,
    status,
    CONTENT_TYPES['.json'] as string,
    JSON.stringify(errorBody(status, code, message)),
    method,
  );
}

function send(res: ServerResponse, status: number, type: string, body: string, method = 'GET'): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    ...SECURITY_HEADERS,
  });
  res.end(method === 'HEAD' ? undefined : body);
}
