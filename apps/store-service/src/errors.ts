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

/** DynamoDB could not be reached, throttled us, or had a transient failure: worth retrying later. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(options: { cause: unknown }) {
    super('the item table is unavailable', options);
  }
}
