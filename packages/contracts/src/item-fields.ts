/**
 * An item's fields as every writer checks them, written once: store-service refuses anything else
 * (INVALID_ARGUMENT), the api refuses it before calling the store (400 VALIDATION, from its JSON
 * Schema) and the web UI says so beside the field. Lengths count characters (Unicode code points:
 * 200 emoji make a valid name) as sent; the store keeps the name trimmed.
 */
import { SAFE_CHARACTER_SOURCE } from './unsafe-text';

export const ITEM_NAME_MAX_LENGTH = 200;
export const ITEM_DESCRIPTION_MAX_LENGTH = 2000;

/**
 * A character a reader sees: not whitespace, and not a control, format (zero-width, bidi), surrogate
 * or separator character. Needs the `u` flag.
 */
const VISIBLE_CHARACTER_SOURCE = String.raw`[^\s\p{Cc}\p{Cf}\p{Cs}\p{Z}]`;

/**
 * A name's characters (length aside), as a regular expression's source for a JSON Schema `pattern`
 * (Ajv compiles patterns with the `u` flag): at least one visible character, and none that would
 * change a line, a terminal or a page it is shown in (contracts' unsafe-text). A name of only spaces,
 * zero-width spaces or a U+202E would be a blank row, and one with a newline or an escape would
 * break every list and log line that shows it. Linear: the lookahead stops at the first visible one.
 */
export const ITEM_NAME_SOURCE = `^(?=${SAFE_CHARACTER_SOURCE}*?${VISIBLE_CHARACTER_SOURCE})${SAFE_CHARACTER_SOURCE}*$`;

/** What a field holding another name is told (after its name): fixed text, never the value. */
export const ITEM_NAME_RULE =
  'must have a visible character and no control, line-separator or bidi-control character';

const ITEM_NAME = new RegExp(ITEM_NAME_SOURCE, 'u');
const VISIBLE_CHARACTER = new RegExp(VISIBLE_CHARACTER_SOURCE, 'u');

/** Whether `value`'s characters make a name (its length is checked on its own: `characterCount`). */
export function hasItemNameCharacters(value: string): boolean {
  return ITEM_NAME.test(value);
}

/** Whether `value` has a character a reader sees (the web UI's "Enter a name."). */
export function hasVisibleCharacter(value: string): boolean {
  return VISIBLE_CHARACTER.test(value);
}

/** `value`'s length as these limits count it: Unicode code points. */
export function characterCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}
