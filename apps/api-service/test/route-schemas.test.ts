/**
 * The api's Ajv does not check its schemas against the JSON Schema meta-schema as it starts (service-kit's
 * `fastifyValidation`: ~45 ms of every start); this test does, for every route the app adds.
 */
import { createServiceMetrics } from '@pr-canary/canary-context';
import { createLogger } from '@pr-canary/service-kit';
import { freePort, routeSchemaProblems } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildApp, identityFromConfig } from '../src/app';
import { createStoreClient } from '../src/store-client';
import { apiConfig } from './helper';

describe('route schemas', () => {
  it('are valid JSON Schemas, every request part and response of every route', async () => {
    const config = apiConfig({ STORE_ADDR: `127.0.0.1:${await freePort()}` });
    const identity = identityFromConfig(config);
    const metrics = createServiceMetrics({ identity });
    const store = createStoreClient({
      addr: config.STORE_ADDR,
      deadlineMs: config.STORE_DEADLINE_MS,
      metrics,
    });
    const app = buildApp({ config, store, logger: createLogger({ identity, level: 'silent' }), metrics });
    onTestFinished(async () => {
      await app.close();
      store.close();
    });
    expect(await routeSchemaProblems(app)).toEqual([]);
  });
});
