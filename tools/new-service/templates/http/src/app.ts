/**
 * Builds __service_name__'s Fastify instance from a config and its dependencies; never listens
 * (`listen` below does, for service.ts). Tests build it and use `inject()` or `listen(app, host, 0)`.
 */
import { canaryFastifyPlugin, type InstanceIdentity, type ServiceMetrics } from '@pr-canary/canary-context';
import { serviceNamed } from '@pr-canary/contracts/services';
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

export interface AppDependencies {
  config: __Pascal__Config;
  /** A pino logger (service-kit's createLogger); Fastify makes per-request children of it. */
  logger: FastifyBaseLogger;
  metrics: ServiceMetrics;
}

export function identityFromConfig(config: __Pascal__Config): InstanceIdentity {
  return { service: SERVICE_NAME, track: config.CANARY_TRACK, version: config.SERVICE_VERSION };
}

export function buildApp({ config, logger, metrics }: AppDependencies): FastifyInstance {
  const identity = identityFromConfig(config);
  let accepting = true;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT_BYTES,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  app.decorate('markNotReady', () => {
    accepting = false;
  });
  // The canary key: validated, kept in scope for outgoing calls, echoed with X-Served-By on every answer.
  app.register(canaryFastifyPlugin, { identity, trustHeader: config.CANARY_HEADER_TRUSTED, metrics });
  installErrorHandling(app);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    accepting ? { status: 'ready' } : reply.code(503).send({ status: 'shutting down' }),
  );
  // Your routes go here. This one says which instance answered, so a canary is easy to see.
  app.get('/api/__short__/hello', async () => ({
    message: `hello from ${SERVICE_NAME}`,
    track: identity.track,
    version: identity.version,
  }));
  return app;
}

/**
 * Listens on host:port (port 0 = any free port) and resolves with the bound port. Fastify's own
 * "Server listening" line is silenced: the service announces itself once (service-kit's runService).
 */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.ready();
  const level = app.log.level;
  app.log.level = 'silent';
  try {
    await app.listen({ host, port });
  } finally {
    app.log.level = level;
  }
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : port;
}
