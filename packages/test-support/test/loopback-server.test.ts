import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../src/index';

describe('listenOnLoopback', () => {
  it('serves on 127.0.0.1 and a free port, and close() drops kept-alive connections (twice is fine)', async () => {
    const server = createServer((_req, res) => res.end('hi'));
    const listening = await listenOnLoopback(server);
    expect(listening.url).toBe(`http://127.0.0.1:${listening.port}`);
    expect(await (await fetch(listening.url)).text()).toBe('hi');
    await Promise.all([listening.close(), listening.close()]);
    expect(server.listening).toBe(false);
    await expect(fetch(listening.url)).rejects.toThrow();
  });
});
