/**
 * Every error __service_name__ answers with is mapped here, once, to service-kit's JSON body
 * `{statusCode, error, message, code}`. What Fastify refuses (validation naming the field, bad JSON, an
 * unsupported media type, a body over the limit, an unknown route) is service-kit's, with fixed text
 * that never echoes the request; anything else is 500 with a fixed message (the error is logged).
 * As the service grows its own errors, map them here, before service-kit's:
 * `installHttpErrorHandling(app, { map: (err) => (err instanceof MyError ? { body: errorBody(409, 'MY_CODE', err.message), internal: false } : undefined) })`,
 * and say what a field's `pattern` asks for with `patternRules: { 'querystring/code': 'must be …' }`.
 */
import { installHttpErrorHandling } from '@pr-canary/service-kit';
import type { FastifyInstance } from 'fastify';

export function installErrorHandling(app: FastifyInstance): void {
  installHttpErrorHandling(app);
}
