/**
 * Builds the api's Fastify instance from a config and its dependencies; never listens (service.ts
 * does, with service-kit's `fastifyServer`). Tests build it against a real store and use `inject()`
 * or `listen({port: 0})`.
 */

import cors from '@fastify/cors';
import {
  canaryFastifyPlugin,
  type FaultInjector,
  faultFastifyPlugin,
  type InstanceIdentity,
  type ServiceMetrics,
} from '@pr-canary/canary-context';
import {
  CANARY_HEADER,
  CANARY_WARNING_HEADER,
  SERVED_BY_HEADER,
  TRACE_ID_HEADER,
} from '@pr-canary/contracts/canary-key';
import { corsResponseHeaders } from '@pr-canary/contracts/cors';
import { createFaults, errorBody, identityOf } from '@pr-canary/service-kit';
import { fastifyLogging, fastifyValidation } from '@pr-canary/service-kit/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiConfig } from './config';
import { installErrorHandling } from './errors';
import {
  clientErrorHandler,
  frameworkErrorHandler,
  installOwnAnswers,
  MAX_PARAM_LENGTH,
  NODE_ANSWER_OPTIONS,
} from './framework-errors';
import { installStrictJsonParser } from './json-body';
import { BODY_LIMIT_BYTES } from './limits';
import { type Readiness, registerHealthRoutes } from './routes/health';
import { registerItemRoutes } from './routes/items';
import { registerRouteInspector } from './routes/route-inspector';
import { noQuerySchema } from './schemas';
import type { StoreClient } from './store-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** Shutdown step 1: /readyz answers 503 from now on, while in-flight requests still finish. */
    markNotReady(): void;
  }
}

export interface AppDependencies {
  config: ApiConfig;
  store: StoreClient;
  /** A pino logger (service-kit's createLogger); Fastify makes per-request children of it. */
  logger: FastifyBaseLogger;
  metrics: ServiceMetrics;
  /** Faults on purpose (CANARY_FAULTS, the admin endpoint); default: service-kit's `createFaults` from the config. */
  faults?: FaultInjector;
}

export const SERVICE_NAME = 'api-service';

/** Methods a browser may use cross-origin, and the request/response headers it may send/read. */
const CORS_METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const CORS_REQUEST_HEADERS = [CANARY_HEADER, 'baggage', 'content-type', 'if-match'];
const CORS_EXPOSED_HEADERS = [
  SERVED_BY_HEADER,
  CANARY_HEADER,
  CANARY_WARNING_HEADER,
  TRACE_ID_HEADER,
  'etag',
  'location',
];
const CORS_MAX_AGE_SECONDS = 600;

/**
 * Node's HTTP server options for a request timeout of `requestTimeoutMs`: a request whose headers or
 * body stop arriving is answered 408 (by `clientErrorHandler`, in the error shape) and closed.
 * Fastify 5 defaults the timeout to 0 (never). Node only looks for expired requests every
 * `connectionsCheckingInterval` (30 s by default), so that is a tenth of the timeout here (at most
 * 1 s): a stalled request is answered at most 10 % (or 1 s) late. `headersTimeout` is then Node's
 * default, min(60 s, requestTimeout).
 */
export function requestTimeoutOptions(requestTimeoutMs: number) {
  return {
    requestTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.ceil(requestTimeoutMs / 10)),
  } as const;
}

export function identityFromConfig(config: ApiConfig): InstanceIdentity {
  return identityOf(SERVICE_NAME, config);
}

/** The CORS headers of the answers Fastify gives before the CORS plugin's hook runs (frameworkErrors). */
function corsHeadersFor(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  const exposed = CORS_EXPOSED_HEADERS.join(', ');
  return (origin: string | undefined): Record<string, string> =>
    corsResponseHeaders(allowed, origin, exposed);
}

export function buildApp({ config, store, logger, metrics, faults }: AppDependencies): FastifyInstance {
  const identity = identityFromConfig(config);
  const readiness: Readiness = { accepting: true };
  const headerOptions = { identity, trustHeader: config.CANARY_HEADER_TRUSTED };
  const app: FastifyInstance = Fastify({
    ...fastifyLogging(logger),
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify sets the server's requestTimeout after creating it, so it is given twice.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: { ...requestTimeoutOptions(config.REQUEST_TIMEOUT_MS), ...NODE_ANSWER_OPTIONS },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler(headerOptions, corsHeadersFor(config.CORS_ALLOWED_ORIGINS)),
    clientErrorHandler: clientErrorHandler(headerOptions, () => app.log),
    // Fastify's own 503 while closing skips every hook; installOwnAnswers sends ours instead.
    return503OnClosing: false,
    // Unknown properties refused, never coerced; schemas checked by the tests, not at each start.
    ...fastifyValidation,
  });

  // A JSON API: any other body type is 415, not a string that then fails schema validation.
  app.removeContentTypeParser('text/plain');
  // Bodies decoded strictly: invalid UTF-8 or a lone surrogate is a 400, never stored as U+FFFD.
  installStrictJsonParser(app);
  app.decorate('markNotReady', () => {
    readiness.accepting = false;
  });
  app.register(canaryFastifyPlugin, { identity, trustHeader: config.CANARY_HEADER_TRUSTED, metrics });
  const injector = faults ?? createFaults({ protocol: 'http', config, logger, metrics });
  if (injector) app.register(faultFastifyPlugin, { faults: injector });
  installOwnAnswers(app, headerOptions);
  // No allowed origin, no CORS: a browser could read no response cross-origin anyway (preflights then
  // get the JSON 404 like any other unknown route), and no request pays for the headers.
  if (config.CORS_ALLOWED_ORIGINS.length > 0) {
    // An OPTIONS request that is no preflight (no Origin or no Access-Control-Request-Method) gets the
    // api's JSON error, where @fastify/cors' strict check answered plain text.
    app.addHook('onRequest', (request, reply, done) => {
      const { origin, 'access-control-request-method': method } = request.headers;
      if (request.method !== 'OPTIONS' || (origin && method)) return done();
      reply
        .code(400)
        .send(
          errorBody(
            400,
            'BAD_PREFLIGHT',
            'an OPTIONS request here is a CORS preflight: it names its Origin and Access-Control-Request-Method',
          ),
        );
    });
    app.register(cors, {
      origin: [...config.CORS_ALLOWED_ORIGINS],
      // The onRequest hook above refuses what is no preflight.
      strictPreflight: false,
      // Joined once here: @fastify/cors joins an array on every response.
      methods: CORS_METHODS.join(', '),
      allowedHeaders: CORS_REQUEST_HEADERS.join(', '),
      exposedHeaders: CORS_EXPOSED_HEADERS.join(', '),
      maxAge: CORS_MAX_AGE_SECONDS,
    });
  }
  installErrorHandling(app);
  // The routes in a plugin of their own, added once the plugins above have loaded: the fault plugin
  // learns the routes `fail=` may name from each one added after it (CANARY_FAULTS='fail=GET /api/items/:id').
  app.register(async (routes) => {
    // One rule for query strings under /api/: a parameter a route does not take is a 400 everywhere.
    // (Probes are left lenient; a preflight carries its request's query.)
    routes.addHook('onRoute', (route) => {
      if (!route.url.startsWith('/api/') || route.method === 'OPTIONS' || route.schema?.querystring) return;
      route.schema = { ...route.schema, querystring: noQuerySchema };
    });
    registerHealthRoutes(routes, { store, readiness, readinessDeadlineMs: config.READINESS_DEADLINE_MS });
    registerRouteInspector(routes, { store, identity, deadlineMs: config.STORE_DEADLINE_MS });
    registerItemRoutes(routes, store);
  });
  return app;
}
