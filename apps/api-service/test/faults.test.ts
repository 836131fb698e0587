/**
 * CANARY_FAULTS naming a route (`fail=GET /api/items/:id`): the api starts, fails exactly that route
 * with the injected-fault body, and serves every other route — over a real socket, against real stores.
 */
import { describe, expect, it } from 'vitest';
import { useStack } from './helper';

const stack = useStack({ CANARY_FAULTS: 'fail=GET /api/items/:id' });

describe('faults on purpose, by route', () => {
  it('fails the route fail= names and serves the others', async () => {
    const base = stack.current.api.baseUrl;
    const faulted = await fetch(`${base}/api/items/0190d6c4-1f5e-7b6e-8f3a-1c2d3e4f5a6b`);
    expect(faulted.status).toBe(503);
    expect(await faulted.json()).toMatchObject({ code: 'INJECTED_FAULT' });
    expect(faulted.headers.get('x-served-by')).toMatch(/^api-service;/);

    const list = await fetch(`${base}/api/items`);
    expect(list.status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
