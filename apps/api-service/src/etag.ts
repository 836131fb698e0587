/**
 * ETags are the item's version, as a strong entity tag: `"3"`. If-Match takes exactly one of them
 * (or `*` where any version will do); anything else is malformed rather than silently ignored.
 */
import type { ItemOutput } from '@pr-canary/proto';

const STRONG_VERSION_TAG = /^"([1-9][0-9]{0,14})"$/;

export type IfMatch =
  | { kind: 'absent' }
  | { kind: 'any' }
  | { kind: 'version'; version: number }
  | { kind: 'malformed' };

export function etagFor(item: ItemOutput): string {
  return `"${item.version}"`;
}

export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined) return { kind: 'absent' };
  const value = header.trim();
  if (value === '*') return { kind: 'any' };
  const match = STRONG_VERSION_TAG.exec(value);
  return match?.[1] ? { kind: 'version', version: Number(match[1]) } : { kind: 'malformed' };
}
