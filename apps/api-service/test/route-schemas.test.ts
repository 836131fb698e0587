/**
 * The api's Ajv does not check its schemas against the JSON Schema meta-schema as it starts (service-kit's
 * `fastifyValidation`: ~45 ms of every start); this test does, for every route the app adds.
 */
import { freePort, routeSchemaProblems } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { apiConfig, buildApi } from './helper';

describe('route schemas', () => {
  it('are valid JSON Schemas, every request part and response of every route', async () => {
    const api = buildApi(apiConfig({ STORE_ADDR: `127.0.0.1:${await freePort()}` }));
    onTestFinished(() => api.close());
    expect(await routeSchemaProblems(api.app)).toEqual([]);
  });
});
