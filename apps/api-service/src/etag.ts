/**
 * ETags are the item's version as a strong entity tag: `"3"`. `If-Match` follows RFC 9110 §13.1.1:
 * `*` or a comma-separated list of entity tags, compared strongly (a weak tag `W/"3"` never matches).
 * A well-formed tag that is not one of our versions (`"stale-0"`) is not an error: it just matches
 * nothing. Only a value outside the grammar is malformed.
 */
import type { ItemOutput } from '@pr-canary/proto';

export type IfMatch =
  | { kind: 'absent' }
  | { kind: 'any' }
  /** The versions named by the list's strong tags (possibly none: then no current item matches). */
  | { kind: 'tags'; versions: readonly number[] }
  | { kind: 'malformed' };

/** The opaque part of a strong tag we issued: a version, 1 … 2^53 − 1, no leading zero. */
const VERSION_OPAQUE = /^[1-9][0-9]{0,15}$/;

export function etagFor(item: ItemOutput): string {
  return `"${item.version}"`;
}

/** etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3). */
function isEtagChar(code: number): boolean {
  return code === 0x21 || (code >= 0x23 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);
}

const isOws = (char: string | undefined) => char === ' ' || char === '\t';

/**
 * `If-Match = "*" / #entity-tag`. Empty list elements and optional whitespace around commas are
 * accepted (RFC 9110 §5.6.1); `*` mixed with tags, a bare token, an unterminated quote, or a header
 * with no tag at all is malformed. Node joins repeated `If-Match` lines with ", ", which parses as
 * one list, as RFC 9110 §5.3 says it should.
 */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined) return { kind: 'absent' };
  const value = header.trim();
  if (value === '*') return { kind: 'any' };
  const versions: number[] = [];
  let tags = 0;
  let at = 0;
  while (at < value.length) {
    const char = value[at];
    if (char === ',' || isOws(char)) {
      at += 1;
      continue;
    }
    const weak = value.startsWith('W/', at);
    if (weak) at += 2;
    if (value[at] !== '"') return { kind: 'malformed' };
    const close = value.indexOf('"', at + 1);
    if (close === -1) return { kind: 'malformed' };
    const opaque = value.slice(at + 1, close);
    for (let i = 0; i < opaque.length; i += 1) {
      if (!isEtagChar(opaque.charCodeAt(i))) return { kind: 'malformed' };
    }
    tags += 1;
    if (!weak && VERSION_OPAQUE.test(opaque) && Number.isSafeInteger(Number(opaque))) {
      versions.push(Number(opaque));
    }
    at = close + 1;
    while (isOws(value[at])) at += 1;
    if (at < value.length && value[at] !== ',') return { kind: 'malformed' };
  }
  return tags === 0 ? { kind: 'malformed' } : { kind: 'tags', versions: [...new Set(versions)] };
}
