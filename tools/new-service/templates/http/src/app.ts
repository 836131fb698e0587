/**
 * Builds __service_name__'s Fastify instance from a config and its dependencies; never listens
 * (service.ts does, with service-kit's `fastifyServer`). Tests build it and use `inject()` or
 * service-kit's `listenFastify(app, host, 0)`.
 */
import {
  canaryFastifyPlugin,
  type FaultInjector,
  faultFastifyPlugin,
  type ServiceMetrics,
} from '@pr-canary/canary-context';
import { serviceNamed } from '@pr-canary/contracts/services';
import { identityOf } from '@pr-canary/service-kit';
import { fastifyLogging, fastifyValidation } from '@pr-canary/service-kit/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { __Pascal__Config } from './config';
import { installErrorHandling } from './errors';

declare module 'fastify' {
  interface FastifyInstance {
    /** Shutdown step 1: /readyz answers 503 from now on, while in-flight requests still finish. */
    markNotReady(): void;
  }
}

export const SERVICE_NAME = '__service_name__';
/** The largest request body, from the registry: the edge refuses a bigger one before it gets here. */
const BODY_LIMIT_BYTES = serviceNamed(SERVICE_NAME).bodyLimitBytes;

/** `?name=`: who to greet (at most 200 characters); anything else in the query is refused. */
const HELLO_QUERY = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
  additionalProperties: false,
} as const;

export interface AppDependencies {
  config: __Pascal__Config;
  /** A pino logger (service-kit's createLogger); Fastify makes per-request children of it. */
  logger: FastifyBaseLogger;
  metrics: ServiceMetrics;
  /** Faults on purpose (CANARY_FAULTS; service-kit's `createFaults`, undefined where none can be wanted). */
  faults?: FaultInjector;
}

export function identityFromConfig(config: __Pascal__Config) {
  return identityOf(SERVICE_NAME, config);
}

export function buildApp({ config, logger, metrics, faults }: AppDependencies): FastifyInstance {
  const identity = identityFromConfig(config);
  let accepting = true;
  const app: FastifyInstance = Fastify({
    // Request lines by route template at debug, never the raw URL (service-kit's request-log.ts).
    ...fastifyLogging(logger),
    bodyLimit: BODY_LIMIT_BYTES,
    // Unknown properties refused, never coerced; schemas checked by the tests, not at each start.
    ...fastifyValidation,
  });
  app.decorate('markNotReady', () => {
    accepting = false;
  });
  // The canary key: validated, kept in scope for outgoing calls, echoed with X-Served-By on every answer.
  app.register(canaryFastifyPlugin, { identity, trustHeader: config.CANARY_HEADER_TRUSTED, metrics });
  if (faults) app.register(faultFastifyPlugin, { faults });
  installErrorHandling(app);

  // Routes go in this plugin (or plugins registered after it), so they are added once the plugins
  // above have loaded: the fault plugin learns the routes `fail=` may name from each one added after it.
  app.register(async (routes) => {
    routes.get('/healthz', async () => ({ status: 'ok' }));
    routes.get('/readyz', async (_request, reply) =>
      accepting ? { status: 'ready' } : reply.code(503).send({ status: 'shutting down' }),
    );
    // Your routes go here. This one says which instance answered, so a canary is easy to see.
    routes.get<{ Querystring: { name?: string } }>(
      '/api/__short__/hello',
      { schema: { querystring: HELLO_QUERY } },
      async (request) => ({
        message: request.query.name ? `hello ${request.query.name}` : `hello from ${SERVICE_NAME}`,
        track: identity.track,
        version: identity.version,
      }),
    );
  });
  return app;
}
