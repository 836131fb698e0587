/**
 * Every error leaves the api here, as one JSON shape (service-kit's `ErrorBody`):
 * `{ statusCode, error, message, code }` — `code` is the gRPC status name when the store said no,
 * otherwise an api code such as `VALIDATION`. What the api maps itself is here (the store's answers,
 * `HttpError`, and its words for its fields' patterns, schemas.ts `PATTERN_RULES`); Fastify's
 * request errors and the 500 fallback are service-kit's
 * (`requestErrorReply`). 5xx bodies never carry internals; they are logged.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isInjectedFaultMessage, isRouteUnavailableMessage } from '@pr-canary/canary-context';
import type { UnavailableReason } from '@pr-canary/proto';
import {
  type ErrorBody,
  type ErrorReply,
  errorBody,
  INTERNAL_MESSAGE,
  installHttpErrorHandling,
  reasonPhrase,
  replyWithError as replyWithMappedError,
  safeText,
} from '@pr-canary/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PATTERN_RULES } from './schemas';
import { StoreCallError } from './store-client';

/**
 * An error the api raises itself, with the status and code the client should see. A 5xx one is a
 * failure of the api's or of what it calls, so it is logged (with its `cause`, e.g. the store call
 * that timed out) like any other.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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

const MAX_DETAILS_LENGTH = 300;

/** Store details are ours, but still go through the shared sanitiser (control characters, length). */
function clientSafeDetails(details: string, fallback: string): string {
  return safeText(details, MAX_DETAILS_LENGTH) || fallback;
}

/** What the store said was behind an UNAVAILABLE (fixed text per known reason). */
const UNAVAILABLE_MESSAGES: Readonly<Record<UnavailableReason, string>> = {
  table_missing: 'the store is unavailable: its item table does not exist; try again shortly',
  unavailable: 'the store is unavailable: its database cannot be reached; try again shortly',
};

/**
 * Whether the store call failed with words that are passed on as they are, each only in its exact
 * shape so that no other text from below reaches the client: a router's "PR 42's store-service canary
 * is declared but not running (…)" (its canary is down; nothing fell back to stable), or a fault
 * injected on purpose below (pr-canary fault). Both name a state that was reported where it arose —
 * the stack reports the instance down, the store logs the fault — so the api does not log them again
 * as failures of its own: with a stack each, they flooded the terminal while a canary restarted and
 * during every `analyze` run against a fault.
 */
function isReportedBelow(err: StoreCallError): boolean {
  return (
    (err.grpcCode === GrpcStatus.UNAVAILABLE && isRouteUnavailableMessage(err.details)) ||
    isInjectedFaultMessage(err.details)
  );
}

function storeErrorBody(err: StoreCallError): ErrorBody {
  const statusCode = GRPC_TO_HTTP_STATUS[err.grpcCode] ?? 500;
  const code = GrpcStatus[err.grpcCode] ?? 'UNKNOWN';
  if (isReportedBelow(err)) return errorBody(statusCode, code, err.details);
  if (err.unavailableReason) return errorBody(statusCode, code, UNAVAILABLE_MESSAGES[err.unavailableReason]);
  if (statusCode >= 500)
    return errorBody(statusCode, code, SERVER_SIDE_MESSAGES[err.grpcCode] ?? INTERNAL_MESSAGE);
  return errorBody(statusCode, code, clientSafeDetails(err.details, reasonPhrase(statusCode)));
}

/** The reply for the errors the api raises or passes on; undefined for the rest (service-kit maps those). */
function apiErrorReply(err: unknown): ErrorReply | undefined {
  if (err instanceof StoreCallError) {
    const body = storeErrorBody(err);
    return { body, internal: body.statusCode >= 500 && !isReportedBelow(err) };
  }
  if (err instanceof HttpError)
    return { body: errorBody(err.statusCode, err.code, err.message), internal: err.statusCode >= 500 };
  return undefined;
}

/** The api's part in answering errors: its own errors first, its words for its fields' patterns. */
const API_ERRORS = { map: apiErrorReply, patternRules: PATTERN_RULES } as const;

/** Logs internal failures with `{err}` and answers with the mapped body. */
export function replyWithError(
  request: FastifyRequest,
  reply: FastifyReply,
  err: unknown,
  extra: Record<string, unknown> = {},
) {
  return replyWithMappedError(request, reply, err, API_ERRORS, extra);
}

/** The one error handler and the JSON 404 for unknown routes. */
export function installErrorHandling(app: FastifyInstance): void {
  installHttpErrorHandling(app, API_ERRORS);
}
