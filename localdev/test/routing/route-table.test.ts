import { describe, expect, it } from 'vitest';
import { LiveRoutes } from '../../src/routing/live-routes';
import {
  CANARY_ROUTE_PRIORITY,
  canaryNamespace,
  resolveRoute,
  routeTable,
  STABLE_ROUTE_PRIORITY,
} from '../../src/routing/route-table';

describe('route table', () => {
  const table = routeTable([
    { pr: '42', services: ['api-service', 'store-service'] },
    { pr: '7', services: ['store-service'] },
  ]);

  it('gives each canary an exact header route to its PR namespace, above stable', () => {
    expect(table.routes).toEqual([
      {
        service: 'api-service',
        protocol: 'http',
        match: { header: 'X-Canary', type: 'Exact', value: '42' },
        backend: { service: 'api-service', track: 'pr-42', namespace: 'api-canary-pr-42' },
        priority: 100,
      },
      {
        service: 'store-service',
        protocol: 'grpc',
        match: { header: 'x-canary', type: 'Exact', value: '7' },
        backend: { service: 'store-service', track: 'pr-7', namespace: 'store-canary-pr-7' },
        priority: 100,
      },
      {
        service: 'store-service',
        protocol: 'grpc',
        match: { header: 'x-canary', type: 'Exact', value: '42' },
        backend: { service: 'store-service', track: 'pr-42', namespace: 'store-canary-pr-42' },
        priority: 100,
      },
    ]);
    expect(CANARY_ROUTE_PRIORITY).toBeGreaterThan(STABLE_ROUTE_PRIORITY);
    expect(table.defaults['store-service']).toEqual({
      service: 'store-service',
      track: 'stable',
      namespace: 'apps',
    });
  });

  it('resolves exact matches to canaries and everything else to stable', () => {
    const track = (service: 'api-service' | 'store-service', values?: string[]) =>
      resolveRoute(table, service, values).track;
    expect(track('api-service', ['42'])).toBe('pr-42');
    expect(track('store-service', ['42'])).toBe('pr-42');
    expect(track('api-service', ['7'])).toBe('stable');
    expect(track('store-service', ['7'])).toBe('pr-7');
    expect(track('store-service', ['999'])).toBe('stable');
    expect(track('store-service', undefined)).toBe('stable');
    expect(track('store-service', ['042'])).toBe('stable');
    expect(track('store-service', [' 42'])).toBe('stable');
    expect(track('store-service', ['abc', '42'])).toBe('pr-42');
  });

  it('rejects malformed PR numbers and duplicate canaries', () => {
    expect(() => routeTable([{ pr: '042', services: ['api-service'] }])).toThrow(/PR number/);
    expect(() => routeTable([{ pr: '4', services: ['api-service', 'api-service'] }])).toThrow(/twice/);
  });

  it('names canary namespaces after the service', () => {
    expect(canaryNamespace('api-service', '42')).toBe('api-canary-pr-42');
  });
});

describe('live routes', () => {
  it('routes only to running instances and drops a canary the moment it is removed', () => {
    const routes = new LiveRoutes();
    routes.add('store-service', 'stable', { host: '127.0.0.1', port: 1 });
    routes.add('store-service', 'pr-42', { host: '127.0.0.1', port: 2 });
    expect(routes.resolve('store-service', ['42']).address?.port).toBe(2);
    routes.remove('store-service', 'pr-42');
    expect(routes.resolve('store-service', ['42'])).toEqual({
      backend: { service: 'store-service', track: 'stable', namespace: 'apps' },
      address: { host: '127.0.0.1', port: 1 },
    });
    expect(routes.resolve('api-service', undefined).address).toBeUndefined();
  });
});
