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
    expect(resolveStackUrl('http://127.0.0.1:9999/', 'http://127.0.0.1:2', 'http://127.0.0.1:1', true)).toBe(
      'http://127.0.0.1:9999',
    );
    expect(resolveStackUrl(null, 'http://127.0.0.1:2', 'http://127.0.0.1:1', true)).toBe(
      'http://127.0.0.1:2',
    );
    expect(resolveStackUrl(null, undefined, 'http://127.0.0.1:1', true)).toBe('http://127.0.0.1:1');
    expect(resolveStackUrl('javascript:alert(1)', 'data:x', undefined, false)).toBe(DEFAULT_STACK_URL);
  });

  it('never calls localhost from a deployed page: with a config.json naming no stack there is none', () => {
    expect(resolveStackUrl(null, undefined, undefined, true)).toBeNull();
    expect(resolveStackUrl('javascript:alert(1)', undefined, undefined, true)).toBeNull();
  });
});

describe('fetchVerdict over HTTP', () => {
  it('reads a verdict, a missing one, a malformed one and an absent stack', async () => {
    const asked: string[] = [];
    const url = await serve((req, res) => {
      asked.push(req.url ?? '');
      const json = (body: unknown) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/verdicts') json({ verdicts: [{ pr: '42' }, { pr: '9' }] });
      else if (req.url === '/verdicts/42') json(verdict);
      else if (req.url === '/verdicts/9') json({ schema: 'other' });
      else res.writeHead(404).end('{}');
    });
    expect(await fetchVerdict(url, '42')).toEqual({ kind: 'verdict', verdict });
    expect(await fetchVerdict(url, '7')).toEqual({ kind: 'none', message: 'No verdict for PR 7 yet.' });
    expect(await fetchVerdict(url, '9')).toEqual({ kind: 'invalid' });
    // A PR without a verdict is told by the list: no 404 (a console error in a browser) for it.
    expect(asked).not.toContain('/verdicts/7');
    expect(await fetchVerdict('http://127.0.0.1:1', '42')).toEqual({ kind: 'unreachable' });
  });

  it('says why no verdict can be made, as the CLI would refuse: no canary of the PR, or a stopped one', async () => {
    const instances = [
      { service: 'api-service', track: 'stable', state: 'running' },
      { service: 'store-service', track: 'stable', state: 'running' },
      { service: 'api-service', track: 'pr-42', state: 'running' },
      { service: 'store-service', track: 'pr-7', state: 'stopped' },
      { service: 'store-service', track: 'pr-8', state: 'restarting' },
      // Not the stack's grammar: never shown.
      { service: '<img src=x>', track: 'pr-9', state: 'running' },
      { service: 'api-service', track: 'pr-<b>', state: 'running' },
    ];
    const url = await serve((req, res) => {
      const json = (body: unknown) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/verdicts') json({ verdicts: [] });
      else if (req.url === '/instances') json({ apiUrl: 'http://127.0.0.1:8080', instances });
      else res.writeHead(404).end('{}');
    });
    expect(await fetchVerdict(url, '999')).toEqual({
      kind: 'cannot-judge',
      message:
        'This stack runs no canary of PR 999, so there is nothing to compare with stable (its canaries: pr-42, pr-7, pr-8). Declare one in localdev/canaries.json or with npm start -- --canary 999=<service>,… and start the stack again.',
    });
    expect(await fetchVerdict(url, '7')).toEqual({
      kind: 'cannot-judge',
      message:
        "PR 7's store-service canary is stopped until the stack restarts, so there is nothing to judge. Start the stack again (npm start).",
    });
    // Running, or coming back by itself: analyze can judge it (now or in a moment).
    expect(await fetchVerdict(url, '42')).toEqual({ kind: 'none', message: 'No verdict for PR 42 yet.' });
    expect(await fetchVerdict(url, '8')).toEqual({ kind: 'none', message: 'No verdict for PR 8 yet.' });
  });

  it('suggests the command when the stack cannot say which canaries it runs', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/verdicts')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"verdicts":[]}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"instances":"no"}');
    });
    expect(await fetchVerdict(url, '5')).toEqual({ kind: 'none', message: 'No verdict for PR 5 yet.' });
  });
});
