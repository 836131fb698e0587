/**
 * Liveness says the process serves HTTP; readiness says it can do its job: not shutting down and
 * the store answers a grpc.health.v1 Check with SERVING within READINESS_DEADLINE_MS.
 */
import type { FastifyInstance } from 'fastify';
import { errorBody } from '../errors';
import type { StoreClient } from '../store-client';

export interface Readiness {
  /** False once shutdown began: the load balancer should stop sending new requests. */
  accepting: boolean;
}

function notReady(message: string) {
  return errorBody(503, 'NOT_READY', message);
}

export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { store: StoreClient; readiness: Readiness; readinessDeadlineMs: number },
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    if (!deps.readiness.accepting) return reply.code(503).send(notReady('shutting down'));
    try {
      const status = await deps.store.checkHealth(deps.readinessDeadlineMs);
      if (status === 'SERVING') return { status: 'ready' };
      return reply.code(503).send(notReady(`the store reports ${status}`));
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return reply.code(503).send(notReady('the store cannot be reached'));
    }
  });
}
