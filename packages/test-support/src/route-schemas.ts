/**
 * The JSON Schema check the services' Ajv leaves out as they start (service-kit's `fastifyValidation`:
 * compiling the meta-schema was ~45 ms of the api's start-up), done in their tests instead.
 */
import Ajv from 'ajv';

/** A route as Fastify's onRoute hook sees it. */
interface RouteOptions {
  method: string | string[];
  url: string;
  schema?: Record<string, unknown>;
}

/** What `routeSchemaProblems` needs of a Fastify app. */
export interface RoutedApp {
  addHook(name: 'onRoute', hook: (route: RouteOptions) => void): unknown;
  ready(): PromiseLike<unknown>;
}

/** The request parts of a route schema; each response status' schema is checked as well. */
const REQUEST_PARTS = ['body', 'querystring', 'params', 'headers'] as const;

/**
 * Every route schema of a Fastify app checked against the JSON Schema meta-schema Fastify's Ajv uses
 * (draft-07): one line per schema that is no valid JSON Schema (`GET /url querystring: …`), none when
 * all are. Give it an app fresh from its build function, before `ready()`: it sees the routes added
 * from then on, as every service's `buildApp` adds its routes, in a plugin loaded by `ready()`. Throws
 * when it saw no route at all, so a build that added routes before the call cannot pass unchecked.
 */
export async function routeSchemaProblems(app: RoutedApp): Promise<string[]> {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  await app.ready();
  if (routes.length === 0) throw new Error('no route was added after routeSchemaProblems was called');
  const ajv = new Ajv();
  // Each schema object once, under the first route that has it (Fastify adds a HEAD route per GET).
  const checked = new Set<unknown>();
  return routes.flatMap((route) => {
    const name = `${[route.method].flat().join(',')} ${route.url}`;
    const response = (route.schema?.response ?? {}) as Record<string, unknown>;
    const schemas: [string, unknown][] = [
      ...REQUEST_PARTS.map((part): [string, unknown] => [part, route.schema?.[part]]),
      ...Object.entries(response).map(([status, schema]): [string, unknown] => [
        `response ${status}`,
        schema,
      ]),
    ];
    return schemas.flatMap(([part, schema]) => {
      if (schema === undefined || checked.has(schema)) return [];
      checked.add(schema);
      if (ajv.validateSchema(schema as object)) return [];
      return [`${name} ${part}: ${ajv.errorsText(ajv.errors, { dataVar: 'schema' })}`];
    });
  });
}
