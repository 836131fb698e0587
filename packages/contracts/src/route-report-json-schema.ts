/**
 * The JSON Schema of the `GET /api/route` report, for the api's response serialization: the file
 * `route-report.schema.json`, written from the one zod schema (`deriveRouteReportJsonSchema` in
 * route-report.ts, `npm run write-schema`) and checked equal to it by test. A module of its own so
 * that the api does not load zod to start (an idle service's memory budget).
 */
import schema from './route-report.schema.json';

/** A fresh copy each call: Fastify compiles the schema it is given and may annotate it. */
export function routeReportJsonSchema(): Record<string, unknown> {
  return structuredClone(schema) as Record<string, unknown>;
}
