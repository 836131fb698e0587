import type { UnavailableReason } from '@pr-canary/proto';

/**
 * What the repository can tell its callers, independent of DynamoDB and of gRPC. The handlers map
 * each of these to one gRPC status (see handlers.ts); anything else is an internal error.
 */
export class ItemNotFoundError extends Error {
  override readonly name = 'ItemNotFoundError';
  constructor(readonly id: string) {
    super(`item ${id} not found`);
  }
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

export class ItemAlreadyExistsError extends Error {
  override readonly name = 'ItemAlreadyExistsError';
  constructor(readonly id: string) {
    super(`item ${id} already exists`);
  }
}

export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
  constructor() {
    super('page_token is not a token returned by ListItems');
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
