/**
 * What only an HTTP (Fastify) service takes from the kit: the options its app is built with. An entry
 * of its own (`@pr-canary/service-kit/fastify`), apart from the index, because the request log extends
 * Fastify's LogController: loading it loads Fastify, which a gRPC service then never does (~60 ms of
 * the store's start-up).
 */
import type { FastifyServerOptions } from 'fastify';

export { fastifyLogging } from './request-log';

/**
 * The schema compiler's options of every service's app (`Fastify({ ...fastifyValidation, … })`):
 * unknown properties are refused, not silently dropped (`removeAdditional`); a query string stays a
 * string (no `coerceTypes`); and the schemas are not checked against the JSON Schema meta-schema as the
 * app starts (`validateSchema`). Ajv compiles the meta-schema itself for that check, ~45 ms of the api's
 * ~600 ms start-up, every start, for schemas that change only with the code: each service's tests check
 * every route schema against it instead (test-support's `routeSchemaProblems`). A schema with an
 * unknown keyword still fails the start (Ajv's strict mode).
 */
export const fastifyValidation = {
  ajv: { customOptions: { removeAdditional: false, coerceTypes: false, validateSchema: false } },
} satisfies Pick<FastifyServerOptions, 'ajv'>;
