/**
 * How every Fastify service logs its requests (`fastifyLogging`). Fastify's own request log lines
 * carry the raw URL (client input: tokens in a query, escape sequences, a 3,000-character path). The
 * controller here writes one line per request with the route template instead, and never the request
 * line itself.
 *
 * Levels: a request that ended in an error is a WARN line (the error handler logs internal
 * failures at ERROR); every other request line is DEBUG. An INFO line per request was most of a
 * busy api's log volume and ~5 % of its CPU (and as much again for whatever reads the logs);
 * `LOG_LEVEL=debug` brings them back.
 */
import {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';

const UNMATCHED_ROUTE = 'unmatched';
/** The pino levels at which a DEBUG line is written. */
const DEBUG_ENABLED_LEVELS = new Set(['trace', 'debug']);

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
    // At the default level this line is off: do not build its fields for nothing.
    if (DEBUG_ENABLED_LEVELS.has(reply.log.level))
      reply.log.debug(requestFields(request, reply), 'request completed');
  }

  override writeHeadError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    reply.log.warn({ ...requestFields(request, reply), err: error }, 'writing the response head failed');
  }
}

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = Parameters<FastifyBaseLogger['child']>[1];
const LOG_METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * A request's logger, made into pino's child (with the request id) on first use: most requests never
 * write a line (their request line is DEBUG), and a pino child per request was ~1.5 % of the api's CPU.
 * Levels read through to the parent until then, so it answers exactly as the child would.
 */
class RequestLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  /** The pino child, made now if it was not yet. */
  logger(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings);
    return this.#child;
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }
}

// fatal … silent: each writes through the child.
for (const method of LOG_METHODS) {
  Object.defineProperty(RequestLogger.prototype, method, {
    value(this: RequestLogger, ...args: unknown[]) {
      const logger = this.logger();
      (logger[method] as (...line: unknown[]) => void).apply(logger, args);
    },
  });
}

/**
 * Fastify's `childLoggerFactory`: each request's logger is made on first use (see RequestLogger); a
 * route with its own level or serializers gets pino's child at once.
 */
export const lazyRequestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) =>
  options.level !== undefined || options.serializers !== undefined
    ? logger.child(bindings, options)
    : (new RequestLogger(logger, bindings) as unknown as FastifyBaseLogger);

/**
 * Fastify's logging options for a service's app: `logger` (service-kit's createLogger), request lines
 * by route template at DEBUG (RouteTemplateLogController), request loggers made on first use.
 */
export function fastifyLogging(logger: FastifyBaseLogger) {
  return {
    loggerInstance: logger,
    logController: new RouteTemplateLogController(),
    childLoggerFactory: lazyRequestLogger,
  } satisfies Pick<FastifyServerOptions, 'loggerInstance' | 'logController' | 'childLoggerFactory'>;
}
