/**
 * The characters text from someone else must never carry into a log line, a terminal or a page as
 * they are, written once: control characters (C0, DEL, C1 — a terminal runs escape sequences from
 * them), the line and paragraph separators (a new line where none is seen) and the bidi controls (text
 * that reads other than it is stored, e.g. U+202E). `@pr-canary/service-kit`'s `safeText` and the trace
 * receiver replace them; the trace model replaces them in whatever a receiver answers.
 */

/** The set's ranges, as the inside of a regular expression's character class. */
const UNSAFE_RANGES = String.raw`\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069`;

const UNSAFE_CHARACTERS = new RegExp(`[${UNSAFE_RANGES}]`, 'g');

/** The same set as one character's pattern (no `g`: `.test()` keeps no state between calls). */
export const UNSAFE_CHARACTER = new RegExp(UNSAFE_CHARACTERS.source);

/** Any character but these, as a regular expression's source (e.g. to build a field's pattern). */
export const SAFE_CHARACTER_SOURCE = `[^${UNSAFE_RANGES}]`;

/** Whether `code` (a UTF-16 code unit) is one of {@link UNSAFE_CHARACTERS}. */
export function isUnsafeCharCode(code: number): boolean {
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  if (code < 0x200e) return false;
  return (
    code === 0x200e ||
    code === 0x200f ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * Whether `value` holds an unsafe character: a scan that allocates nothing (almost no text from a
 * service has one, and the receiver looks at every string of every span).
 */
export function hasUnsafeCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (isUnsafeCharCode(value.charCodeAt(i))) return true;
  return false;
}

/** `value` with every unsafe character replaced by `replacement` (a space unless told). */
export function replaceUnsafeCharacters(value: string, replacement = ' '): string {
  return hasUnsafeCharacter(value) ? value.replace(UNSAFE_CHARACTERS, replacement) : value;
}
