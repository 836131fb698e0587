import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readJsonCapped } from '../../src/read-json';

/** A server that answers with `chunks` (written one by one, no content-length unless given). */
async function serve(chunks: readonly string[], headers: Record<string, string> = {}): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    for (const chunk of chunks) res.write(chunk);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('readJsonCapped', () => {
  it('reads a JSON answer within the cap, a BOM dropped as Response.json() does', async () => {
    expect(await readJsonCapped(await fetch(await serve(['{"a":', '[1,2]}'])), 64)).toEqual({ a: [1, 2] });
    expect(await readJsonCapped(await fetch(await serve(['\ufeff{"a":1}'])), 64)).toEqual({ a: 1 });
  });

  it('refuses an answer over the cap, streamed without a length or declared', async () => {
    const streamed = await serve(Array.from({ length: 64 }, () => 'x'.repeat(1024)));
    await expect(readJsonCapped(await fetch(streamed), 4096)).rejects.toThrow(/larger than 4096 bytes/);
    const declared = await serve(['{}'], { 'content-length': '2' });
    await expect(readJsonCapped(await fetch(declared), 1)).rejects.toThrow(/larger than 1 bytes/);
  });

  it('refuses what is not JSON', async () => {
    await expect(readJsonCapped(await fetch(await serve(['<html>'])), 64)).rejects.toThrow(SyntaxError);
  });
});
