/**
 * `GET /api/route`: where did this request land at every hop? The api asks the store a health Check
 * carrying the request's canary key; the store's served-by entry comes back in response metadata and
 * ends up in the scope next to the api's own entry.
 */
import { formatCanaryWarning, type InstanceIdentity, servedByChain } from '@pr-canary/canary-context';
import type { RouteReport } from '@pr-canary/contracts/route-report';
import { routeReportJsonSchema } from '@pr-canary/contracts/route-report-json-schema';
import type { FastifyInstance } from 'fastify';
import { replyWithError } from '../errors';
import type { StoreClient } from '../store-client';

export function registerRouteInspector(
  app: FastifyInstance,
  deps: { store: StoreClient; identity: InstanceIdentity; deadlineMs: number },
): void {
  const schema = { response: { 200: routeReportJsonSchema() } };
  app.get('/api/route', { schema }, async (request, reply) => {
    // One call, the cheapest that reaches the store under this request's key: its answer carries
    // the store's served-by entry, which is all the report needs from it.
    try {
      await deps.store.checkHealth(deps.deadlineMs);
    } catch (err) {
      return replyWithError(request, reply, err, { hops: servedByChain(deps.identity) });
    }
    const key = request.canaryKey;
    const report: RouteReport = {
      canary: key.kind === 'valid' ? key.pr : null,
      warning: key.kind === 'invalid' ? formatCanaryWarning(key) : null,
      hops: servedByChain(deps.identity),
    };
    return report;
  });
}
