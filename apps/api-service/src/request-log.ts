/**
 * Fastify's own request log lines carry the raw URL (client input). This controller writes one
 * line per request with the route template instead, and never the request line itself. A route can
 * lower its line to debug with `config: { requestLogLevel: 'debug' }` (the probes do).
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Level of the route's "request completed" line (default info); errors are always warn. */
    requestLogLevel?: 'debug' | 'info';
  }
}

const UNMATCHED_ROUTE = 'unmatched';

function requestFields(request: FastifyRequest, reply: FastifyReply) {
  return {
    method: request.method,
    route: request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE),
    statusCode: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 10) / 10,
  };
}

export class RouteTemplateLogController extends LogController {
  override incomingRequest(): void {
    // One line per request, written when it completes.
  }

  override routeNotFound(): void {
    // requestCompleted logs it with route "unmatched".
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      reply.log.warn({ ...requestFields(request, reply), err: error }, 'request errored');
      return;
    }
    const level = request.routeOptions.config?.requestLogLevel ?? 'info';
    reply.log[level](requestFields(request, reply), 'request completed');
  }

  override writeHeadError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    reply.log.warn({ ...requestFields(request, reply), err: error }, 'writing the response head failed');
  }
}
