import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { judge } from '@pr-canary/canary-analysis/verdict';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_STACK_URL, fetchVerdict, resolveStackUrl } from '../src/verdict-source';

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const verdict = judge({
  pr: '42',
  mode: 'test',
  hops: [
    {
      hop: 'edge',
      protocol: 'client',
      source: 'test',
      stable: {
        track: 'stable',
        calls: 20,
        errors: 0,
        latencies: { kind: 'samples', ms: Array(20).fill(5) },
      },
      pr: { track: 'pr-42', calls: 20, errors: 0, latencies: { kind: 'samples', ms: Array(20).fill(5) } },
    },
  ],
});

describe('resolveStackUrl', () => {
  it('takes ?stack=, then config.json, then VITE_STACK_URL, then the default; never a non-http value', () => {
    expect(resolveStackUrl('http://127.0.0.1:9999/', 'http://127.0.0.1:2', 'http://127.0.0.1:1')).toBe(
      'http://127.0.0.1:9999',
    );
    expect(resolveStackUrl(null, 'http://127.0.0.1:2', 'http://127.0.0.1:1')).toBe('http://127.0.0.1:2');
    expect(resolveStackUrl(null, undefined, 'http://127.0.0.1:1')).toBe('http://127.0.0.1:1');
    expect(resolveStackUrl('javascript:alert(1)', 'data:x', undefined)).toBe(DEFAULT_STACK_URL);
  });
});

describe('fetchVerdict over HTTP', () => {
  it('reads a verdict, a missing one, a malformed one and an absent stack', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/verdicts/42')
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(verdict));
      else if (req.url === '/verdicts/7') res.writeHead(404).end('{}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"schema":"other"}');
    });
    expect(await fetchVerdict(url, '42')).toEqual({ kind: 'verdict', verdict });
    expect(await fetchVerdict(url, '7')).toEqual({ kind: 'none', message: 'No verdict for PR 7 yet.' });
    expect(await fetchVerdict(url, '9')).toEqual({ kind: 'invalid' });
    expect(await fetchVerdict('http://127.0.0.1:1', '42')).toEqual({ kind: 'unreachable' });
  });
});
