/**
 * Every error __service_name__ answers with is mapped here, once, to a JSON body
 * `{statusCode, error, message, code}`: what Fastify refuses (validation, bad JSON, unknown route, a
 * body over the limit) keeps its 4xx; anything else is 500 with a fixed message, never the error's
 * own text (it is logged instead). Add the service's own error classes here as it grows.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
}

export function errorBody(statusCode: number, code: string, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, code };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send(errorBody(status, error.code ?? 'BAD_REQUEST', error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorBody(500, 'INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(errorBody(404, 'NOT_FOUND', 'no such route')),
  );
}
