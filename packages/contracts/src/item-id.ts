/**
 * An item's id, as store-service makes it and every reader checks it: a lower-case UUIDv7 (RFC 9562
 * §5.7). The store refuses any other id (INVALID_ARGUMENT) and the api refuses it before calling the
 * store (400 VALIDATION), both with this rule.
 */

/** Every id has this many characters (the api's router refuses longer path parameters). */
export const ITEM_ID_LENGTH = 36;

/** The rule as an anchored regular expression source, e.g. for a JSON Schema `pattern`. */
export const ITEM_ID_SOURCE = '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';

/** What a field holding anything else is told (after its name): fixed text, never the value. */
export const ITEM_ID_RULE = 'must be an item id (a lower-case UUIDv7)';

const ITEM_ID = new RegExp(ITEM_ID_SOURCE);

/** True when `value` is a well-formed item id. */
export function isItemId(value: string): boolean {
  return ITEM_ID.test(value);
}
