import { v7 } from 'uuid';

/**
 * Item ids are UUIDv7 (RFC 9562), made by the `uuid` package: 48 bits of Unix milliseconds, then a
 * counter seeded at random each millisecond, then random bits. Lower-case hex UUIDv7 strings sort in
 * creation order, so the table's sort key (the id) lists items oldest first; `uuid` keeps ids made by
 * this process in order also within one millisecond and when the clock steps back. What an id is (and
 * `isItemId`, the check every reader uses) is the contracts' (`@pr-canary/contracts/item-id`).
 */

/** A new UUIDv7, greater than every id this process made before. */
export function newItemId(): string {
  return v7();
}
