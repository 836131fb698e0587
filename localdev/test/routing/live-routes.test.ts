import { isRouteUnavailableMessage } from '@pr-canary/canary-context/route-unavailable';
import { describe, expect, it } from 'vitest';
import { LiveRoutes } from '../../src/routing/live-routes';
import { declareRunning, localAddress } from '../helper';

describe('live routes', () => {
  it('routes a declared canary only while it runs, and never falls back to stable', () => {
    const routes = new LiveRoutes();
    declareRunning(routes, 'store-service', 'stable', 1);
    routes.declare('store-service', 'pr-42');
    expect(routes.resolve('store-service', ['42'])).toEqual({
      backend: { service: 'store-service', track: 'pr-42', namespace: 'store-canary-pr-42' },
      address: undefined,
      unavailable: "PR 42's store-service canary is declared but not running (starting)",
    });
    routes.update('store-service', 'pr-42', { state: 'running', address: localAddress(2), restarts: 0 });
    expect(routes.resolve('store-service', ['42']).address?.port).toBe(2);
    routes.update('store-service', 'pr-42', { state: 'restarting', restarts: 2 });
    const down = routes.resolve('store-service', ['42']);
    expect(down.address).toBeUndefined();
    expect(down).toMatchObject({
      unavailable: "PR 42's store-service canary is declared but not running (restarting, 2 restarts so far)",
    });
    expect(routes.resolve('store-service', ['7']).address?.port).toBe(1);
  });

  it('names stable when stable is down, in the shape the api passes on to its clients', () => {
    const routes = new LiveRoutes();
    routes.declare('api-service', 'stable');
    routes.declare('api-service', 'pr-42');
    routes.update('api-service', 'pr-42', { state: 'stopped', restarts: 1 });
    const stable = routes.resolve('api-service', undefined);
    const canary = routes.resolve('api-service', ['42']);
    expect(stable).toMatchObject({ unavailable: 'stable api-service is not running (starting)' });
    expect(canary).toMatchObject({
      unavailable: "PR 42's api-service canary is declared but not running (stopped, 1 restart so far)",
    });
    for (const resolved of [stable, canary]) {
      expect(resolved.address).toBeUndefined();
      if (!resolved.address) expect(isRouteUnavailableMessage(resolved.unavailable)).toBe(true);
    }
  });
});
