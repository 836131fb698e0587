/**
 * The one sanitiser for text that may carry someone else's input on its way into a log line, an error
 * body or a terminal: control characters (C0, DEL, C1), line/paragraph separators and bidi controls
 * become `unsafeAs` (a space unless told: `?` shows a terminal's reader where something was), runs of
 * whitespace collapse to one space, and the result is cut to `maxLength` characters with "…".
 */
import { replaceUnsafeCharacters } from '@pr-canary/contracts/unsafe-text';

const WHITESPACE = /\s+/g;

/** Longest text a log field carries (library messages, error messages). */
export const LOG_TEXT_MAX_LENGTH = 512;

export function safeText(value: string, maxLength: number = LOG_TEXT_MAX_LENGTH, unsafeAs = ' '): string {
  // Cut before cleaning too, so a megabyte of input costs no more than a few kilobytes of work.
  const bounded = value.length > maxLength * 4 ? value.slice(0, maxLength * 4) : value;
  const cleaned = replaceUnsafeCharacters(bounded, unsafeAs).replace(WHITESPACE, ' ').trim();
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength)}…` : cleaned;
}
