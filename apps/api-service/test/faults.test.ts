/**
 * Faults on purpose in the api, over a real socket against real stores: CANARY_FAULTS naming a route
 * (`fail=GET /api/items/:id`) fails exactly that route and serves every other; the fault plugin is
 * there only where faults can be wanted (`CANARY_FAULTS` set, or the admin endpoint on, as the local
 * stack runs every api), and faults set at run time through the admin endpoint on the metrics port
 * act on the next request.
 */
import { createLogger, type RunningService } from '@pr-canary/service-kit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { identityFromConfig } from '../src/app';
import { startService } from '../src/service';
import { apiConfig, startApi, useStack } from './helper';

const FAULT_PLUGIN = '@pr-canary/canary-context/faults';
const stack = useStack({ CANARY_FAULTS: 'fail=GET /api/items/:id' });

describe('faults on purpose, by route', () => {
  it('fails the route fail= names and serves the others', async () => {
    const { baseUrl: base, app } = stack.current.api;
    expect(app.hasPlugin(FAULT_PLUGIN)).toBe(true);
    const faulted = await fetch(`${base}/api/items/0190d6c4-1f5e-7b6e-8f3a-1c2d3e4f5a6b`);
    expect(faulted.status).toBe(503);
    expect(await faulted.json()).toMatchObject({ code: 'INJECTED_FAULT' });
    expect(faulted.headers.get('x-served-by')).toMatch(/^api-service;/);

    const list = await fetch(`${base}/api/items`);
    expect(list.status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('the fault plugin', () => {
  it('is not installed without CANARY_FAULTS and without the admin endpoint', async () => {
    const api = await startApi(apiConfig({ STORE_ADDR: stack.current.tap.addr }));
    onTestFinished(() => api.close());
    expect(api.app.hasPlugin(FAULT_PLUGIN)).toBe(false);
    expect((await api.app.inject({ url: '/api/route' })).statusCode).toBe(200);
  });

  it('is installed with the admin endpoint alone, so faults set at run time act on the next request', async () => {
    const config = apiConfig({
      STORE_ADDR: stack.current.tap.addr,
      CANARY_FAULTS_ADMIN: 'true',
      PORT: '0',
      HOST: '127.0.0.1',
    });
    const logger = createLogger({ identity: identityFromConfig(config), level: 'silent' });
    const service: RunningService = await startService(config, { logger });
    onTestFinished(() => service.close());
    const route = `http://127.0.0.1:${service.port}/api/route`;
    const faults = `http://127.0.0.1:${service.metricsPort}/faults`;

    expect((await fetch(route)).status).toBe(200);
    expect((await fetch(faults, { method: 'PUT', body: 'fail=GET /api/route' })).status).toBe(200);
    const faulted = await fetch(route);
    expect(faulted.status).toBe(503);
    expect(await faulted.json()).toMatchObject({ code: 'INJECTED_FAULT' });
    // HEAD is Fastify's copy of the GET route: an error rate faults it too.
    await fetch(faults, { method: 'PUT', body: 'error-rate=1' });
    expect((await fetch(route, { method: 'HEAD' })).status).toBe(503);
    await fetch(faults, { method: 'DELETE' });
    expect((await fetch(route)).status).toBe(200);
  });
});
