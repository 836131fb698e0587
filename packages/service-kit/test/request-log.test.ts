import type { InstanceIdentity } from '@pr-canary/canary-context';
import { logLines } from '@pr-canary/test-support';
import Fastify from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { installHttpErrorHandling } from '../src/http-errors';
import { createLogger } from '../src/logger';
import { fastifyLogging } from '../src/request-log';
import { listenFastify } from '../src/service-server';

const identity: InstanceIdentity = { service: 'billing-service', track: 'stable', version: '1.0.0' };

/** An app logging through `fastifyLogging` at `level`, with the kit's error handling, on a real socket. */
async function appLoggingAt(level: string) {
  const { lines, stream } = logLines();
  const app = Fastify(fastifyLogging(createLogger({ identity, level, destination: stream })));
  app.get('/api/things/:id', async () => ({ ok: true }));
  app.get('/api/broken', async () => {
    throw new Error('the handler failed');
  });
  installHttpErrorHandling(app);
  onTestFinished(() => app.close());
  const port = await listenFastify(app, '127.0.0.1', 0);
  const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`).then((response) => response.status);
  return { lines, get };
}

const RAW_MARKER = 'raw-path-marker';
const SECRET = 'hunter2';

describe('fastifyLogging: request lines', () => {
  it('writes none at the default level for requests that went well, and none for the request line', async () => {
    const { lines, get } = await appLoggingAt('info');
    expect(await get(`/api/things/${RAW_MARKER}?token=${SECRET}`)).toBe(200);
    expect(await get(`/nowhere/${RAW_MARKER}`)).toBe(404);
    // A line is written as its response finishes: a failing request after them is the sentinel.
    await get('/api/broken');
    await expect.poll(() => lines.length).toBeGreaterThan(0);
    expect(lines.map(({ msg }) => msg)).toEqual(['request failed']);
  });

  it('at debug: one line per request, by route template, with its own request id, never the raw URL', async () => {
    const { lines, get } = await appLoggingAt('debug');
    await get(`/api/things/${RAW_MARKER}?token=${SECRET}`);
    await get(`/nowhere/${RAW_MARKER}%1b%5b31m`);
    await expect.poll(() => lines.length).toBe(2);
    expect(lines.map(({ msg, route, statusCode, level }) => ({ msg, route, statusCode, level }))).toEqual([
      { msg: 'request completed', route: '/api/things/:id', statusCode: 200, level: 20 },
      { msg: 'request completed', route: 'unmatched', statusCode: 404, level: 20 },
    ]);
    expect(lines[0]?.reqId).toMatch(/^req-/);
    expect(lines[1]?.reqId).not.toBe(lines[0]?.reqId);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(RAW_MARKER);
    expect(text).not.toContain(SECRET);
  });

  it('logs a failed request once, at ERROR with the error and its request id, never the raw URL', async () => {
    const { lines, get } = await appLoggingAt('info');
    expect(await get(`/api/broken?token=${SECRET}`)).toBe(500);
    await expect.poll(() => lines.length).toBeGreaterThan(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'request failed',
      reqId: expect.stringMatching(/^req-/),
    });
    expect(JSON.stringify(lines[0]?.err)).toContain('the handler failed');
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });
});
