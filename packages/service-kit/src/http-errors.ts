/**
 * The one JSON error shape of every HTTP service, `{ statusCode, error, message, code }`, and the
 * mapping of what Fastify itself refuses (validation, bad or empty JSON, an unsupported media type,
 * a body over the limit, any other 4xx) to it — fixed text that names a field at most, never the
 * request's own input. A service maps its own errors first (`installHttpErrorHandling`'s `map`);
 * anything nobody maps is a 500 with a fixed message, logged with `{err}`.
 */
import { type ErrorBody, errorBody, reasonPhrase, statusErrorCode } from '@pr-canary/contracts/error-body';

export { type ErrorBody, errorBody, reasonPhrase };

/** A reply for an error: `internal` says it must be logged as a failure (5xx never carry internals). */
export interface ErrorReply {
  body: ErrorBody;
  internal: boolean;
}

export const INTERNAL_MESSAGE = 'internal error';

/** Messages for Fastify's own request errors: fixed text, never the offending input. */
const FASTIFY_REQUEST_ERRORS: Readonly<
  Record<string, { statusCode: number; code: string; message: string }>
> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    statusCode: 400,
    code: 'MALFORMED_JSON',
    // Fastify's parser refuses a `__proto__` or `constructor.prototype` key (prototype poisoning) with
    // the same error as broken JSON, its reason dropped: the message covers both.
    message: 'the request body is not valid JSON, or has a __proto__ or constructor.prototype key',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    statusCode: 400,
    code: 'MALFORMED_JSON',
    message: 'the request body is empty but content-type is application/json',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    statusCode: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'send the request body as application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    statusCode: 413,
    code: 'BODY_TOO_LARGE',
    message: 'the request body is too large',
  },
};

const SAFE_PROPERTY_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** One schema validation failure, as Fastify's validator (ajv) reports it. */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * What a service says of its fields' `pattern`s, keyed by the field as a message names it
 * (`{ 'querystring/limit': 'must be a whole number between 1 and 100' }`); a field without a rule is
 * "not in the expected format".
 */
export type PatternRules = Readonly<Record<string, string>>;

const NO_PATTERN_RULES: PatternRules = Object.freeze({});

/** `body/priceCents must be >= 0`: names the field, never echoes the value. */
export function validationMessage(
  context: string,
  issue: ValidationIssue,
  patternRules: PatternRules = NO_PATTERN_RULES,
): string {
  const field = `${context}${issue.instancePath}`;
  switch (issue.keyword) {
    case 'required':
      return `${field}/${String(issue.params.missingProperty)} is required`;
    case 'additionalProperties': {
      const property = String(issue.params.additionalProperty);
      return SAFE_PROPERTY_NAME.test(property)
        ? `${field}/${property} is not allowed`
        : `${field} has a property that is not allowed`;
    }
    case 'pattern':
      return `${field} ${patternRules[field] ?? 'is not in the expected format'}`;
    case 'type':
      // The query string gives a string, or an array when the parameter is repeated (`limit=1&limit=2`).
      return context === 'querystring' && issue.params.type === 'string'
        ? `${field} must be given once`
        : `${field} ${issue.message ?? 'is invalid'}`;
    default:
      return `${field} ${issue.message ?? 'is invalid'}`;
  }
}

/** What of a Fastify error the mapping reads (this package does not depend on Fastify). */
interface FastifyErrorLike {
  code?: string;
  statusCode?: number;
  validation?: unknown[];
  validationContext?: string;
}

/** The reply for an error no service mapping claimed: Fastify's own 4xx with fixed text, else a 500. */
export function requestErrorReply(err: unknown, patternRules: PatternRules = NO_PATTERN_RULES): ErrorReply {
  const fastifyError = err as FastifyErrorLike | undefined;
  if (fastifyError?.validation) {
    const [issue] = fastifyError.validation;
    const message = issue
      ? validationMessage(fastifyError.validationContext ?? 'request', issue as ValidationIssue, patternRules)
      : 'the request is invalid';
    return { body: errorBody(400, 'VALIDATION', message), internal: false };
  }
  const known = fastifyError?.code ? FASTIFY_REQUEST_ERRORS[fastifyError.code] : undefined;
  if (known) return { body: errorBody(known.statusCode, known.code, known.message), internal: false };
  const statusCode = fastifyError?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500)
    return {
      body: errorBody(statusCode, statusErrorCode(statusCode), reasonPhrase(statusCode)),
      internal: false,
    };
  return { body: errorBody(500, 'INTERNAL', INTERNAL_MESSAGE), internal: true };
}

/** The part of a Fastify request and reply the handlers use. */
interface RequestLike {
  log: { error(fields: object, message: string): void };
}
interface ReplyLike {
  code(statusCode: number): { send(body: unknown): unknown };
  header(name: string, value: string): ReplyLike;
}

/** The part of a Fastify instance `installHttpErrorHandling` uses. */
export interface ErrorHandlingApp {
  setErrorHandler(handler: (err: unknown, request: RequestLike, reply: ReplyLike) => unknown): unknown;
  setNotFoundHandler(
    handler: (request: { method: string; url: string }, reply: ReplyLike) => unknown,
  ): unknown;
  /** Fastify's route lookup for a concrete method and URL (null when none matches). */
  findRoute(options: { method: string; url: string }): unknown;
}

/** A service's part in answering errors: its own errors first (`map`: undefined for errors it does not know), its words for its fields' patterns. */
export interface HttpErrorMapping {
  map?: (err: unknown) => ErrorReply | undefined;
  patternRules?: PatternRules;
}

/**
 * Answers `err` with the service's own mapping or `requestErrorReply`, logging internal failures with
 * `{err}`; `extra` fields are added to the body.
 */
export function replyWithError(
  request: RequestLike,
  reply: ReplyLike,
  err: unknown,
  { map, patternRules }: HttpErrorMapping = {},
  extra: Record<string, unknown> = {},
): unknown {
  const { body, internal } = map?.(err) ?? requestErrorReply(err, patternRules);
  if (internal) request.log.error({ err }, 'request failed');
  return reply.code(body.statusCode).send({ ...body, ...extra });
}

/**
 * The methods a 405's `Allow` may list: those with a route at the requested path. OPTIONS is left
 * out: it is a CORS preflight, which a service without CORS answers with the 404 (and one with CORS
 * answers for every path).
 */
const ALLOWABLE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The methods that have a route at `url`, in `Allow` order. */
function allowedMethods(app: Pick<ErrorHandlingApp, 'findRoute'>, url: string): string[] {
  return ALLOWABLE_METHODS.filter((method) => app.findRoute({ method, url }) !== null);
}

/**
 * The one error handler (the service's mapping first, then `requestErrorReply`), and for a request no
 * route matches: 405 `METHOD_NOT_ALLOWED` with `Allow` when the path has routes for other methods
 * (RFC 9110 §15.5.6), else the JSON 404. Neither echoes the method or path.
 */
export function installHttpErrorHandling(app: ErrorHandlingApp, mapping: HttpErrorMapping = {}): void {
  app.setErrorHandler((err, request, reply) => replyWithError(request, reply, err, mapping));
  app.setNotFoundHandler((request, reply) => {
    const allowed = request.method === 'OPTIONS' ? [] : allowedMethods(app, request.url);
    if (allowed.length === 0)
      return reply.code(404).send(errorBody(404, 'ROUTE_NOT_FOUND', 'no route matches this method and path'));
    const allow = allowed.join(', ');
    return reply
      .header('allow', allow)
      .code(405)
      .send(errorBody(405, 'METHOD_NOT_ALLOWED', `this path is served with ${allow} only`));
  });
}
