import {
  characterCount,
  hasItemNameCharacters,
  ITEM_DESCRIPTION_MAX_LENGTH,
  ITEM_NAME_MAX_LENGTH,
  ITEM_NAME_RULE,
} from '@pr-canary/contracts/item-fields';
import { ITEM_ID_RULE, isItemId } from '@pr-canary/contracts/item-id';
import type {
  CreateItemRequest__Output,
  DeleteItemRequest__Output,
  GetItemRequest__Output,
  ListItemsRequest__Output,
  UpdateItemRequest__Output,
} from '@pr-canary/proto';
import type { ItemFields } from './items-repository';

/**
 * Request validation for every ItemsService method. A failure lists each bad field by its proto
 * name (`price_cents`, not `priceCents`) with fixed text that never echoes the input.
 */
const PAGE_SIZE_MAX = 100;
const PAGE_SIZE_DEFAULT = 20;

export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  constructor(readonly violations: readonly { field: string; description: string }[]) {
    super(`invalid request: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`);
  }
}

/** A field's check: undefined when the value is good, else fixed text saying what it must be. */
type Check = (value: unknown) => string | undefined;

const rule =
  (test: (value: unknown) => boolean, description: string): Check =>
  (value) =>
    test(value) ? undefined : description;

const id = rule((v) => typeof v === 'string' && isItemId(v), ITEM_ID_RULE);
/** As the api judges it (contracts' item-fields): counted as sent; the name stored is trimmed. */
const name: Check = (value) => {
  if (typeof value !== 'string') return 'must be text';
  if (characterCount(value) > ITEM_NAME_MAX_LENGTH)
    return `must be at most ${ITEM_NAME_MAX_LENGTH} characters`;
  return hasItemNameCharacters(value) ? undefined : ITEM_NAME_RULE;
};
const description = rule(
  (v) => typeof v === 'string' && characterCount(v) <= ITEM_DESCRIPTION_MAX_LENGTH,
  `must be at most ${ITEM_DESCRIPTION_MAX_LENGTH} characters`,
);
const priceCents = rule(
  (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  'must be a whole number of cents from 0 to 9007199254740991',
);
const version = (min: number) =>
  rule(
    (v) => Number.isSafeInteger(v) && (v as number) >= min,
    `must be a whole number from ${min} to ${Number.MAX_SAFE_INTEGER}`,
  );
/** An update names the version it read (items start at 1); a delete may name 0 ("whatever it is"). */
const updateVersion = version(1);
const deleteVersion = version(0);
const pageSize = rule(
  (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= PAGE_SIZE_MAX,
  `must be 0 to ${PAGE_SIZE_MAX}`,
);
const pageToken = rule((v) => typeof v === 'string', 'must be text');

/** Checks every field of `input` (proto names), and throws one error listing each bad one. */
function check(input: Record<string, unknown>, checks: Record<string, Check>): void {
  const violations = Object.entries(checks).flatMap(([field, fieldCheck]) => {
    const description = fieldCheck(input[field]);
    return description === undefined ? [] : [{ field, description }];
  });
  if (violations.length > 0) throw new RequestValidationError(violations);
}

export function validateGet(request: GetItemRequest__Output): { id: string } {
  // The hot path (every GetItem): one test, nothing allocated; the field check only to say what is wrong.
  if (!(typeof request.id === 'string' && isItemId(request.id))) check({ id: request.id }, { id });
  return { id: request.id };
}

export function validateList(request: ListItemsRequest__Output): { pageSize: number; pageToken: string } {
  check(
    { page_size: request.pageSize, page_token: request.pageToken },
    { page_size: pageSize, page_token: pageToken },
  );
  return { pageSize: request.pageSize || PAGE_SIZE_DEFAULT, pageToken: request.pageToken };
}

export function validateCreate(request: CreateItemRequest__Output): ItemFields {
  check(
    { name: request.name, description: request.description, price_cents: request.priceCents },
    { name, description, price_cents: priceCents },
  );
  return { name: request.name.trim(), description: request.description, priceCents: request.priceCents };
}

export function validateUpdate(request: UpdateItemRequest__Output): {
  id: string;
  expectedVersion: number;
  fields: ItemFields;
} {
  check(
    {
      id: request.id,
      expected_version: request.expectedVersion,
      name: request.name,
      description: request.description,
      price_cents: request.priceCents,
    },
    { id, expected_version: updateVersion, name, description, price_cents: priceCents },
  );
  return {
    id: request.id,
    expectedVersion: request.expectedVersion,
    fields: { name: request.name.trim(), description: request.description, priceCents: request.priceCents },
  };
}

export function validateDelete(request: DeleteItemRequest__Output): { id: string; expectedVersion: number } {
  check(
    { id: request.id, expected_version: request.expectedVersion },
    { id, expected_version: deleteVersion },
  );
  return { id: request.id, expectedVersion: request.expectedVersion };
}
