/**
 * Every error leaves the api here, as one JSON shape:
 * `{ statusCode, error, message, code }` — `code` is the gRPC status name when the store said no,
 * otherwise an api code such as `VALIDATION`. 5xx bodies never carry internals; they are logged.
 */
import { STATUS_CODES } from 'node:http';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isRouteUnavailableMessage } from '@pr-canary/canary-context';
import type { UnavailableReason } from '@pr-canary/proto';
import { safeText } from '@pr-canary/service-kit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreCallError } from './store-client';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
}

/** An error the api raises itself, with the status and code the client should see. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * gRPC status → HTTP status, as grpc-gateway maps them (runtime/errors.go HTTPStatusFromCode).
 * CANCELLED → 499 only happens when the HTTP client itself went away.
 */
export const GRPC_TO_HTTP_STATUS: Readonly<Record<GrpcStatus, number>> = Object.freeze({
  [GrpcStatus.OK]: 200,
  [GrpcStatus.CANCELLED]: 499,
  [GrpcStatus.UNKNOWN]: 500,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.FAILED_PRECONDITION]: 400,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.UNIMPLEMENTED]: 501,
  [GrpcStatus.INTERNAL]: 500,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DATA_LOSS]: 500,
  [GrpcStatus.UNAUTHENTICATED]: 401,
});

/** What a client is told for store failures that are the api's or the store's problem, not theirs. */
const SERVER_SIDE_MESSAGES: Readonly<Partial<Record<GrpcStatus, string>>> = {
  [GrpcStatus.UNAVAILABLE]: 'the store is unavailable; try again shortly',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'the store did not answer in time',
  [GrpcStatus.UNIMPLEMENTED]: 'the store does not support this operation',
};

const INTERNAL_MESSAGE = 'internal error';
const MAX_DETAILS_LENGTH = 300;

/** Messages for Fastify's own request errors: fixed text, never the offending input. */
const FASTIFY_REQUEST_ERRORS: Readonly<
  Record<string, { statusCode: number; code: string; message: string }>
> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    statusCode: 400,
    code: 'MALFORMED_JSON',
    message: 'the request body is not valid JSON',
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

function reasonPhrase(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? (statusCode === 499 ? 'Client Closed Request' : 'Error');
}

/** The one error body shape. */
export function errorBody(statusCode: number, code: string, message: string): ErrorBody {
  return { statusCode, error: reasonPhrase(statusCode), message, code };
}

/** Store details are ours, but still go through the shared sanitiser (control characters, length). */
function clientSafeDetails(details: string, fallback: string): string {
  return safeText(details, MAX_DETAILS_LENGTH) || fallback;
}

/** What the store said was behind an UNAVAILABLE (fixed text per known reason). */
const UNAVAILABLE_MESSAGES: Readonly<Record<UnavailableReason, string>> = {
  table_missing: 'the store is unavailable: its item table does not exist; try again shortly',
  unavailable: 'the store is unavailable: its database cannot be reached; try again shortly',
};

function storeErrorBody(err: StoreCallError): ErrorBody {
  const statusCode = GRPC_TO_HTTP_STATUS[err.grpcCode] ?? 500;
  const code = GrpcStatus[err.grpcCode] ?? 'UNKNOWN';
  // A router's "PR 42's store-service canary is declared but not running (…)" names what the client
  // must know (its canary is down; nothing fell back to stable) and is passed on only in that exact
  // shape, so no other text from below reaches the client.
  if (err.grpcCode === GrpcStatus.UNAVAILABLE && isRouteUnavailableMessage(err.details))
    return errorBody(statusCode, code, err.details);
  if (err.unavailableReason) return errorBody(statusCode, code, UNAVAILABLE_MESSAGES[err.unavailableReason]);
  if (statusCode >= 500)
    return errorBody(statusCode, code, SERVER_SIDE_MESSAGES[err.grpcCode] ?? INTERNAL_MESSAGE);
  return errorBody(statusCode, code, clientSafeDetails(err.details, reasonPhrase(statusCode)));
}

const SAFE_PROPERTY_NAME = /^[A-Za-z0-9_]{1,64}$/;

export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `body/priceCents must be >= 0`: names the field, never echoes the value. */
export function validationMessage(context: string, issue: ValidationIssue): string {
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
      return `${field} is not in the expected format`;
    default:
      return `${field} ${issue.message ?? 'is invalid'}`;
  }
}

function validationErrorBody(error: FastifyError): ErrorBody {
  const [issue] = error.validation ?? [];
  const message = issue
    ? validationMessage(error.validationContext ?? 'request', issue as ValidationIssue)
    : 'the request is invalid';
  return errorBody(400, 'VALIDATION', message);
}

function codeFromReason(statusCode: number): string {
  return reasonPhrase(statusCode)
    .toUpperCase()
    .replace(/[^A-Z]+/g, '_');
}

/** The status and body a client gets for `err`; `internal` says it must be logged as a failure. */
function toErrorReply(err: unknown): { body: ErrorBody; internal: boolean } {
  if (err instanceof StoreCallError) {
    const reply = storeErrorBody(err);
    return { body: reply, internal: reply.statusCode >= 500 };
  }
  if (err instanceof HttpError)
    return { body: errorBody(err.statusCode, err.code, err.message), internal: false };
  const fastifyError = err as Partial<FastifyError> | undefined;
  if (fastifyError?.validation)
    return { body: validationErrorBody(fastifyError as FastifyError), internal: false };
  const known = fastifyError?.code ? FASTIFY_REQUEST_ERRORS[fastifyError.code] : undefined;
  if (known) return { body: errorBody(known.statusCode, known.code, known.message), internal: false };
  const statusCode = fastifyError?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return {
      body: errorBody(statusCode, codeFromReason(statusCode), reasonPhrase(statusCode)),
      internal: false,
    };
  }
  return { body: errorBody(500, 'INTERNAL', INTERNAL_MESSAGE), internal: true };
}

/** Logs internal failures with `{err}` and answers with the mapped body. */
export function replyWithError(
  request: FastifyRequest,
  reply: FastifyReply,
  err: unknown,
  extra: Record<string, unknown> = {},
) {
  const { body, internal } = toErrorReply(err);
  if (internal) request.log.error({ err }, 'request failed');
  return reply.code(body.statusCode).send({ ...body, ...extra });
}

/** The one error handler and the JSON 404 for unknown routes. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => replyWithError(request, reply, err));
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(errorBody(404, 'ROUTE_NOT_FOUND', 'no route matches this method and path')),
  );
}
