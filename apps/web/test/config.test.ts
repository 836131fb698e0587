import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_API_URL,
  loadRuntimeConfig,
  parseApiUrl,
  parseRuntimeConfig,
  RuntimeConfigError,
  resolveApiUrl,
  resolveTracesUrl,
} from '../src/config';

describe('parseApiUrl', () => {
  it('accepts http and https URLs and drops a trailing slash', () => {
    expect(parseApiUrl('http://localhost:8080')).toBe('http://localhost:8080');
    expect(parseApiUrl(' https://api.example.com/ ')).toBe('https://api.example.com');
    expect(parseApiUrl('https://example.com/edge/api/')).toBe('https://example.com/edge/api');
  });

  it.each([
    ['javascript:alert(1)'],
    ['file:///etc/passwd'],
    ['ftp://example.com'],
    ['//example.com'],
    ['example.com'],
    ['https://user:secret@example.com'],
    ['https://example.com/?x=1'],
    ['https://example.com/#frag'],
    [''],
  ])('rejects %j', (value) => {
    expect(parseApiUrl(value)).toBeUndefined();
  });
});

describe('resolveApiUrl', () => {
  it('prefers ?api= over config.json over VITE_API_URL', () => {
    const all = { query: 'http://q:1', runtimeConfig: 'http://c:2', buildTime: 'http://b:3' };
    expect(resolveApiUrl(all)).toEqual({ url: 'http://q:1', source: 'query', notices: [] });
    expect(resolveApiUrl({ ...all, query: null }).source).toBe('config.json');
    expect(resolveApiUrl({ ...all, query: null, runtimeConfig: undefined }).source).toBe('VITE_API_URL');
  });

  it('falls back to the default when nothing is configured', () => {
    expect(resolveApiUrl({ query: null, runtimeConfig: undefined, buildTime: undefined })).toEqual({
      url: DEFAULT_API_URL,
      source: 'default',
      notices: [],
    });
  });

  it('skips an invalid ?api= with a notice that does not echo it', () => {
    const resolved = resolveApiUrl({
      query: 'javascript:evil()',
      runtimeConfig: undefined,
      buildTime: 'http://b:3',
    });
    expect(resolved.url).toBe('http://b:3');
    expect(resolved.notices).toHaveLength(1);
    expect(resolved.notices[0]).toContain('?api=');
    expect(resolved.notices[0]).not.toContain('evil');
  });
});

describe('resolveTracesUrl', () => {
  it('takes ?traces=, then config.json, then VITE_TRACES_URL, and has no default', () => {
    const all = { query: 'http://q:1', runtimeConfig: 'http://c:2', buildTime: 'http://b:3' };
    expect(resolveTracesUrl(all)).toEqual({ url: 'http://q:1', notices: [] });
    expect(resolveTracesUrl({ ...all, query: null }).url).toBe('http://c:2');
    expect(resolveTracesUrl({ query: null, runtimeConfig: undefined, buildTime: 'http://b:3/' }).url).toBe(
      'http://b:3',
    );
    expect(resolveTracesUrl({ query: null, runtimeConfig: undefined, buildTime: undefined })).toEqual({
      url: null,
      notices: [],
    });
    const skipped = resolveTracesUrl({
      query: 'javascript:alert(1)',
      runtimeConfig: undefined,
      buildTime: undefined,
    });
    expect(skipped.url).toBeNull();
    expect(skipped.notices).toEqual([
      'Ignored the ?traces= parameter: it must be an absolute http:// or https:// URL without credentials.',
    ]);
  });
});

describe('parseRuntimeConfig', () => {
  it('reads apiUrl and allows an empty object', () => {
    expect(parseRuntimeConfig({ apiUrl: 'https://api.example.com' })).toEqual({
      apiUrl: 'https://api.example.com',
      tracesUrl: undefined,
      stackUrl: undefined,
    });
    expect(parseRuntimeConfig({})).toEqual({ apiUrl: undefined, tracesUrl: undefined, stackUrl: undefined });
    expect(
      parseRuntimeConfig({ tracesUrl: 'http://127.0.0.1:4318', stackUrl: 'http://127.0.0.1:8090' }),
    ).toEqual({
      apiUrl: undefined,
      tracesUrl: 'http://127.0.0.1:4318',
      stackUrl: 'http://127.0.0.1:8090',
    });
  });

  it.each([
    [null],
    [[]],
    ['x'],
    [{ apiUrl: 42 }],
    [{ apiUrl: 'https://a', extra: true }],
    [{ tracesUrl: 1 }],
    [{ stackUrl: false }],
  ])('rejects %j', (value) => {
    expect(() => parseRuntimeConfig(value)).toThrow(RuntimeConfigError);
  });
});

describe('loadRuntimeConfig over HTTP', () => {
  const servers: { close(): void }[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  async function serve(status: number, contentType: string, body: string): Promise<URL> {
    const server = createServer((_req, res) =>
      res.writeHead(status, { 'content-type': contentType }).end(body),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/config.json`);
  }

  it('returns apiUrl from a JSON file', async () => {
    const url = await serve(200, 'application/json', '{"apiUrl":"https://api.example.com"}');
    await expect(loadRuntimeConfig(url)).resolves.toEqual({
      apiUrl: 'https://api.example.com',
      tracesUrl: undefined,
    });
  });

  it('treats 404 and an HTML fallback page as "no runtime config"', async () => {
    await expect(loadRuntimeConfig(await serve(404, 'text/plain', 'not found'))).resolves.toBeUndefined();
    await expect(
      loadRuntimeConfig(await serve(200, 'text/html', '<!doctype html>')),
    ).resolves.toBeUndefined();
  });

  it('fails clearly on a malformed file or a server error', async () => {
    await expect(loadRuntimeConfig(await serve(200, 'application/json', '{oops'))).rejects.toThrow(
      'not valid JSON',
    );
    await expect(loadRuntimeConfig(await serve(500, 'application/json', '{}'))).rejects.toThrow('HTTP 500');
  });
});
