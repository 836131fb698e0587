import { listenFastify } from '@pr-canary/service-kit';
import { routeSchemaProblems } from '@pr-canary/test-support';
import { describe, expect, it } from 'vitest';
import { appFor } from './helper';

describe('__service_name__', () => {
  it('is live and ready until shutdown begins, then not ready', async () => {
    const app = appFor();
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    app.markNotReady();
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });

  it('has valid JSON Schemas on every route (its Ajv leaves that check out as it starts)', async () => {
    expect(await routeSchemaProblems(appFor())).toEqual([]);
  });

  it('says who served the request, with the canary key it was served under', async () => {
    const app = appFor({ CANARY_TRACK: 'pr-42' });
    const response = await app.inject({ url: '/api/__short__/hello', headers: { 'x-canary': '42' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ track: 'pr-42', version: '1.2.3' });
    expect(response.headers['x-served-by']).toBe('__service_name__;track="pr-42";version="1.2.3"');
    expect(response.headers['x-canary']).toBe('42');
  });

  it('fails the routes CANARY_FAULTS names, with the fault said to be injected', async () => {
    const response = await appFor({ CANARY_FAULTS: 'fail=/api/__short__/hello' }).inject(
      '/api/__short__/hello',
    );
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'INJECTED_FAULT' });
    expect((await appFor({ CANARY_FAULTS: 'fail=/api/__short__/hello' }).inject('/healthz')).statusCode).toBe(
      200,
    );
  });

  it('logs each request by its route at debug, never its URL (client input: a token, a path)', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = appFor({}, lines);
    await app.inject('/api/__short__/hello?name=hunter2');
    await app.inject('/nowhere/raw-path-marker');
    await expect.poll(() => lines.length).toBe(2);
    expect(lines.map(({ msg, route, level }) => ({ msg, route, level }))).toEqual([
      { msg: 'request completed', route: '/api/__short__/hello', level: 20 },
      { msg: 'request completed', route: 'unmatched', level: 20 },
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|raw-path-marker/);
  });

  it('answers an unknown route with a JSON 404 that names it', async () => {
    const response = await appFor().inject('/nowhere');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ statusCode: 404, code: 'ROUTE_NOT_FOUND' });
  });

  it('refuses a bad query naming the field, never echoing the value', async () => {
    const app = appFor();
    const long = await app.inject({ url: '/api/__short__/hello', query: { name: 'x'.repeat(201) } });
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('querystring/name'),
    });
    const extra = await app.inject({ url: '/api/__short__/hello', query: { '<script>': '1' } });
    expect(extra.statusCode).toBe(400);
    expect(extra.body).not.toContain('<script>');
    const greeted = await app.inject({ url: '/api/__short__/hello', query: { name: 'tester' } });
    expect(greeted.json()).toMatchObject({ message: 'hello tester' });
  });

  it('serves an invalid key as stable and says why, over a real socket', async () => {
    const app = appFor();
    const port = await listenFastify(app, '127.0.0.1', 0);
    const response = await fetch(`http://127.0.0.1:${port}/api/__short__/hello`, {
      headers: { 'x-canary': 'abc' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-canary-warning')).toBeTruthy();
    expect(response.headers.get('x-canary')).toBeNull();
  });
});
