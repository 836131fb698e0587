import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StaticWebServer, startStaticWebServer, WebBuildMissingError } from '../../src/stack/web-server';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path sent exactly as written (fetch would normalise `..` away). */
function send(url: string, rawPath: string, method = 'GET'): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: rawPath, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

describe('the web UI static server (real sockets, a build folder on disk)', () => {
  let dir: string;
  let server: StaticWebServer;
  const config = {
    apiUrl: 'http://127.0.0.1:1111',
    tracesUrl: 'http://127.0.0.1:2222',
    stackUrl: 'http://127.0.0.1:3333',
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pr-canary-web-server-'));
    const root = path.join(dir, 'dist');
    await mkdir(path.join(root, 'assets'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>ui</title>');
    await writeFile(path.join(root, 'assets', 'main-abc.js'), 'console.log(1)');
    await writeFile(path.join(root, '.env'), 'SECRET=1');
    await writeFile(path.join(dir, 'outside.txt'), 'outside the build');
    server = await startStaticWebServer({ root, host: '127.0.0.1', port: 0, config: () => config });
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and the build’s files with their types, never cached stale', async () => {
    const index = await send(server.url, '/');
    expect(index).toMatchObject({ status: 200, body: '<!doctype html><title>ui</title>' });
    expect(index.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': "frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
    });
    const script = await send(server.url, '/assets/main-abc.js?v=1');
    expect(script).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const head = await send(server.url, '/index.html', 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
  });

  it('answers /config.json with the stack’s URLs (the UI’s deploy-time config)', async () => {
    const answer = await send(server.url, '/config.json');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual(config);
  });

  it.each([
    '/../outside.txt',
    '/%2e%2e/outside.txt',
    '/assets/..%2F..%2Foutside.txt',
    '/assets%5C..%5C..%5Coutside.txt',
    '/.env',
    '/assets/',
    '/missing.js',
    '/%E0%A4%A',
    '/index.html%00.js',
  ])('refuses %s with a 404 (nothing outside the build, no dot files, no listings)', async (rawPath) => {
    const answer = await send(server.url, rawPath);
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'no such file in the web UI build',
      code: 'NOT_FOUND',
    });
  });

  it.each(['POST', 'DELETE', 'PUT'])('answers %s with 405 in the one JSON error body', async (method) => {
    const answer = await send(server.url, '/', method);
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({
      statusCode: 405,
      error: 'Method Not Allowed',
      message: 'the web UI is read with GET or HEAD',
      code: 'METHOD_NOT_ALLOWED',
    });
  });

  it('refuses to start without a build, saying how to make one', async () => {
    const start = startStaticWebServer({
      root: path.join(dir, 'nothing'),
      host: '127.0.0.1',
      port: 0,
      config: () => config,
    });
    await expect(start).rejects.toThrow(WebBuildMissingError);
    await expect(start).rejects.toThrow(/npm run build -w @pr-canary\/web/);
  });
});
