/**
 * The probe paths the checks expect are routes the real api-service serves: the app is built from
 * its own factory (never listening; the store client is lazy and never dials), so renaming a health
 * route in the service fails here instead of in the cluster.
 */
import { buildApp, createStoreClient, identityFromConfig, loadConfig } from '@pr-canary/api-service';
import { createServiceMetrics } from '@pr-canary/canary-context';
import { createLogger } from '@pr-canary/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedProbes, serviceNamed } from '../src/services';

const config = loadConfig({ STORE_ADDR: '127.0.0.1:9' });
const identity = identityFromConfig(config);
const metrics = createServiceMetrics({ identity });
const store = createStoreClient({ addr: config.STORE_ADDR, deadlineMs: 100, metrics });
const app = buildApp({ config, store, logger: createLogger({ identity, level: 'silent' }), metrics });

beforeAll(() => app.ready());
afterAll(async () => {
  await app.close();
  store.close();
});

const httpPaths = (probe: unknown) => (probe as { httpGet?: { path: string } }).httpGet?.path;

describe('api-service probe paths are routes of the real app', () => {
  it.each(['readiness', 'liveness'] as const)('%s', (kind) => {
    const path = httpPaths(expectedProbes(serviceNamed('api-service'))[kind]);
    expect(path).toMatch(/^\//);
    expect(app.hasRoute({ method: 'GET', url: path as string })).toBe(true);
  });

  it('would notice a probe on a path the app does not serve', () => {
    expect(app.hasRoute({ method: 'GET', url: '/health' })).toBe(false);
  });
});
