import { describe, expect, it } from 'vitest';
import { LiveRoutes } from '../../src/routing/live-routes';
import { localAddress, startHttpBackend, startTestHttpRouter } from '../helper';

async function routedStack() {
  const stable = await startHttpBackend('stable');
  const pr42 = await startHttpBackend('pr-42');
  const routes = new LiveRoutes();
  routes.add('api-service', 'stable', localAddress(stable.port));
  routes.add('api-service', 'pr-42', localAddress(pr42.port));
  const router = await startTestHttpRouter(routes);
  return { routes, pr42, url: `http://127.0.0.1:${router.port}` };
}

async function trackFor(url: string, init?: RequestInit): Promise<string> {
  const response = await fetch(`${url}/api/route`, init);
  return ((await response.json()) as { track: string }).track;
}

describe('HTTP dev router (Traefik Header() semantics)', () => {
  it('sends X-Canary exactly 42 to the PR 42 api canary and everything else to stable', async () => {
    const { url } = await routedStack();
    expect(await trackFor(url)).toBe('stable');
    expect(await trackFor(url, { headers: { 'X-Canary': '42' } })).toBe('pr-42');
    expect(await trackFor(url, { headers: { 'x-canary': '42' } })).toBe('pr-42');
    expect(await trackFor(url, { headers: { 'X-Canary': '7' } })).toBe('stable');
    expect(await trackFor(url, { headers: { 'X-Canary': '042' } })).toBe('stable');
    expect(await trackFor(url, { headers: { 'X-Canary': '42, 42' } })).toBe('stable');
    expect(await trackFor(url, { headers: { 'X-Canary': 'abc' } })).toBe('stable');
  });

  it('forwards method, path, body and headers, sets X-Forwarded-*, and drops hop-by-hop headers', async () => {
    const { url } = await routedStack();
    const response = await fetch(`${url}/api/items?limit=2`, {
      method: 'POST',
      headers: {
        'X-Canary': '42',
        'content-type': 'application/json',
        'x-custom': 'kept',
        'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
        'proxy-connection': 'keep-alive',
      },
      body: JSON.stringify({ name: 'pen' }),
    });
    const echoed = (await response.json()) as {
      method: string;
      url: string;
      body: string;
      headers: Record<string, string>;
    };
    expect(echoed).toMatchObject({ method: 'POST', url: '/api/items?limit=2', body: '{"name":"pen"}' });
    expect(echoed.headers).toMatchObject({
      'x-custom': 'kept',
      'x-canary': '42',
      'x-forwarded-proto': 'http',
    });
    expect(echoed.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echoed.headers['x-forwarded-host']).toBe(new URL(url).host);
    expect(echoed.headers).not.toHaveProperty('proxy-authorization');
    expect(echoed.headers).not.toHaveProperty('proxy-connection');
    expect(response.headers.get('x-track')).toBe('pr-42');
  });

  it('falls back to stable for PR 42 once its canary is removed', async () => {
    const { url, routes, pr42 } = await routedStack();
    await pr42.stop();
    routes.remove('api-service', 'pr-42');
    expect(await trackFor(url, { headers: { 'X-Canary': '42' } })).toBe('stable');
  });

  it('answers 502 with a JSON error when stable api is not reachable', async () => {
    const routes = new LiveRoutes();
    const router = await startTestHttpRouter(routes);
    const notRunning = await fetch(`http://127.0.0.1:${router.port}/api/route`);
    expect(notRunning.status).toBe(502);
    expect(await notRunning.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', error: 'Bad Gateway' });

    const gone = await startHttpBackend('stable');
    routes.add('api-service', 'stable', localAddress(gone.port));
    await gone.stop();
    const unreachable = await fetch(`http://127.0.0.1:${router.port}/api/route`);
    expect(unreachable.status).toBe(502);
  });
});
