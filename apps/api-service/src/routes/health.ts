/**
 * Liveness says the process serves HTTP; readiness says it can do its job: not shutting down and
 * the store answers a grpc.health.v1 Check with SERVING within READINESS_DEADLINE_MS.
 *
 * Probes poll every few seconds, so their logs stay quiet: request lines are at debug (see
 * service-kit's request-log.ts), and readiness logs only when it changes — one WARN line with the
 * reason when it becomes not ready, one INFO line when it is ready again.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { errorBody } from '@pr-canary/service-kit';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { StoreCallError, type StoreClient } from '../store-client';

export interface Readiness {
  /** False once shutdown began: the load balancer should stop sending new requests. */
  accepting: boolean;
}

type ReadinessResult = { ready: true } | { ready: false; reason: string };

/** Why the store check failed, as fixed text plus the gRPC status name (never the error's details). */
function unreachableReason(err: unknown): string {
  const code = err instanceof StoreCallError ? (GrpcStatus[err.grpcCode] ?? String(err.grpcCode)) : 'error';
  return `the store cannot be reached (${code})`;
}

async function checkReadiness(
  deps: { store: StoreClient; readiness: Readiness; readinessDeadlineMs: number },
  log: FastifyBaseLogger,
): Promise<ReadinessResult> {
  if (!deps.readiness.accepting) return { ready: false, reason: 'shutting down' };
  try {
    const status = await deps.store.checkHealth(deps.readinessDeadlineMs);
    return status === 'SERVING' ? { ready: true } : { ready: false, reason: `the store reports ${status}` };
  } catch (err) {
    log.debug({ err }, 'readiness check failed');
    return { ready: false, reason: unreachableReason(err) };
  }
}

/** Logs readiness only when it changes (the first result counts as a change). */
function readinessTransitionLogger(log: FastifyBaseLogger) {
  let last: ReadinessResult | undefined;
  return (result: ReadinessResult) => {
    const changed =
      last === undefined ||
      last.ready !== result.ready ||
      (!last.ready && !result.ready && last.reason !== result.reason);
    last = result;
    if (!changed) return;
    if (result.ready) log.info('ready');
    else log.warn({ reason: result.reason }, 'not ready');
  };
}

export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { store: StoreClient; readiness: Readiness; readinessDeadlineMs: number },
): void {
  const logTransition = readinessTransitionLogger(app.log);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const result = await checkReadiness(deps, request.log);
    logTransition(result);
    if (result.ready) return { status: 'ready' };
    return reply.code(503).send(errorBody(503, 'NOT_READY', result.reason));
  });
}
