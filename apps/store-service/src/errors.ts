import * as grpc from '@grpc/grpc-js';
import { UNAVAILABLE_REASON_KEY, type UnavailableReason } from '@pr-canary/proto';
import { RequestValidationError } from './validation';

/**
 * Every error the store answers with is mapped here, once: the errors the repository can tell its
 * callers (independent of DynamoDB and of gRPC) and the one function, `toStatus`, that turns them and
 * request validation errors into a gRPC status; anything else is an internal error.
 */

/** The logging the handlers and `toStatus` need; a pino logger fits. */
export interface HandlerLogger {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly id: string,
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(`item ${id} is at version ${currentVersion}, not the expected version ${expectedVersion}`);
  }
}

export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
  constructor() {
    super('page_token is not a token returned by ListItems');
  }
}

/** An item id that is not in the table (get, update, delete) or already is (create). */
class ItemIdError extends Error {
  constructor(
    readonly id: string,
    state: 'not found' | 'already exists',
  ) {
    super(`item ${id} ${state}`);
  }
}

export class ItemNotFoundError extends ItemIdError {
  override readonly name = 'ItemNotFoundError';
  constructor(id: string) {
    super(id, 'not found');
  }
}

export class ItemAlreadyExistsError extends ItemIdError {
  override readonly name = 'ItemAlreadyExistsError';
  constructor(id: string) {
    super(id, 'already exists');
  }
}

/**
 * Why the item table cannot serve: `table_missing` (DynamoDB answers, but the table does not exist —
 * e.g. an in-memory dynalite restarted, or the table was dropped) or `unavailable` (DynamoDB could
 * not be reached, throttled us, or had a transient failure). Both are worth retrying later.
 */

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly reason: UnavailableReason;
  constructor(options: { cause: unknown; reason?: UnavailableReason }) {
    const reason = options.reason ?? 'unavailable';
    super(reason === 'table_missing' ? 'the item table does not exist' : 'the item table is unavailable', {
      cause: options.cause,
    });
    this.reason = reason;
  }
}

const UNAVAILABLE_DETAILS: Readonly<Record<UnavailableReason, string>> = {
  table_missing: 'the item table does not exist; retry once the store reports SERVING again',
  unavailable: 'the item table is unavailable; retry later',
};

/** The one place where errors become gRPC statuses. INTERNAL never carries internals. */
export function toStatus(
  error: unknown,
  context: { logger: HandlerLogger; method: string; cancelled: boolean },
): Partial<grpc.StatusObject> {
  if (error instanceof RequestValidationError) {
    return { code: grpc.status.INVALID_ARGUMENT, details: error.message };
  }
  if (error instanceof InvalidPageTokenError) {
    return { code: grpc.status.INVALID_ARGUMENT, details: `invalid request: page_token: ${error.message}` };
  }
  if (error instanceof ItemNotFoundError) {
    return { code: grpc.status.NOT_FOUND, details: error.message };
  }
  if (error instanceof VersionConflictError) {
    return { code: grpc.status.ABORTED, details: error.message };
  }
  if (error instanceof ItemAlreadyExistsError) {
    return { code: grpc.status.ALREADY_EXISTS, details: error.message };
  }
  if (context.cancelled) {
    // The client has its status already (CANCELLED or DEADLINE_EXCEEDED); this one is never sent.
    context.logger.debug({ method: context.method }, 'call cancelled while in progress');
    return { code: grpc.status.CANCELLED, details: 'call cancelled' };
  }
  if (error instanceof StoreUnavailableError) {
    context.logger.warn(
      { err: error, reason: error.reason, method: context.method },
      'item table unavailable',
    );
    const metadata = new grpc.Metadata();
    metadata.set(UNAVAILABLE_REASON_KEY, error.reason);
    return { code: grpc.status.UNAVAILABLE, details: UNAVAILABLE_DETAILS[error.reason], metadata };
  }
  context.logger.error({ err: error, method: context.method }, 'request failed');
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}
