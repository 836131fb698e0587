/**
 * The canary key contract: the PR grammar, `Track`, the header names, and the one parser for the key.
 * Pure and dependency-free: the Chrome extension and the web UI bundle this file.
 *
 * A key is a PR number (`^[1-9][0-9]{0,8}$`). Anything else that was sent is `invalid`: it is never
 * propagated, the request is served as stable, and the response says why. Messages are fixed text and
 * never echo the input, so they are safe for logs, headers and metric labels.
 */
import prNumber from './pr-number.json';

/** HTTP header (case-insensitive) and gRPC metadata key carrying the PR number. */
export const CANARY_HEADER = 'x-canary';
/** The same header as written in HTTP rules and headers (Traefik rules, `Vary`, the extension's rules). */
export const CANARY_HEADER_CANONICAL = 'X-Canary';
/** HTTP response header explaining why a sent key was ignored. */
export const CANARY_WARNING_HEADER = 'x-canary-warning';
/** HTTP header and gRPC response metadata key carrying the served-by chain. */
export const SERVED_BY_HEADER = 'x-served-by';
/** HTTP response header naming the request's trace: the W3C trace-id, 32 lowercase hex digits. */
export const TRACE_ID_HEADER = 'x-trace-id';
/** A trace id as that header carries it: 32 lower-case hex digits (W3C trace-context). */
export const TRACE_ID_PATTERN = /^[0-9a-f]{32}$/;
/** W3C baggage entry carrying the PR number for deeper, generic hops. */
export const CANARY_BAGGAGE_KEY = 'canary';

export type InvalidReason =
  | 'empty'
  | 'not_digits'
  | 'zero'
  | 'leading_zero'
  | 'too_long'
  | 'whitespace'
  | 'control_chars'
  | 'conflicting_values'
  | 'list';

export type CanaryKey =
  | { kind: 'absent' }
  | { kind: 'valid'; pr: string }
  | { kind: 'invalid'; reason: InvalidReason; message: string };

/** An instance's track: `stable`, or `pr-<PR number>` for a PR canary. */
export type Track = 'stable' | `pr-${string}`;

/** Longest single value (between commas) that is scanned at all; a longer one is `too_long` at once. */
export const MAX_RAW_KEY_LENGTH = 64;
/** The most digits a PR number has (the grammar below allows no more). */
export const MAX_PR_DIGITS = 9;
/**
 * The PR number grammar without anchors, for patterns that embed it (table names, messages). Written
 * in pr-number.json, which the workflow scripts read too.
 */
export const PR_NUMBER_SOURCE: string = prNumber.pattern;
/** A PR number as it appears in the header, in tracks and in names: `^[1-9][0-9]{0,8}$`. */
export const PR_NUMBER_PATTERN = new RegExp(`^${PR_NUMBER_SOURCE}$`);

const INVALID_MESSAGES: Readonly<Record<InvalidReason, string>> = {
  empty: 'the canary key is empty',
  not_digits: 'the canary key must be a PR number made of digits only',
  zero: 'the canary key must not be 0',
  leading_zero: 'the canary key must not start with 0',
  too_long: `the canary key must have at most ${MAX_PR_DIGITS} digits`,
  whitespace: 'the canary key must not contain whitespace',
  control_chars: 'the canary key must not contain control characters',
  conflicting_values: 'several different canary keys were sent',
  list: 'an X-Canary line must hold one PR number, not a comma-separated list',
};

/** Span attributes naming the key a span served and the track of the instance that made it. */
export const CANARY_KEY_ATTRIBUTE = 'canary.key';
export const CANARY_TRACK_ATTRIBUTE = 'canary.track';

/**
 * The `canary.key` span attribute: the valid PR, `absent`, or `invalid` (a key served as stable with a
 * warning) — the words of the `canary` metric label and the logs, so a waterfall tells "no key" from "a
 * bad key" as they do. Never the invalid text itself.
 */
export function canaryKeyAttribute(key: CanaryKey): string {
  return key.kind === 'valid' ? key.pr : key.kind;
}

/** The key of a request that sent none (and of every request when the header is not trusted). */
export const ABSENT_KEY: CanaryKey = Object.freeze({ kind: 'absent' });

function invalid(reason: InvalidReason): CanaryKey {
  return { kind: 'invalid', reason, message: INVALID_MESSAGES[reason] };
}

export interface ParseOptions {
  /**
   * The values are HTTP header lines as received, one per line: each must hold one PR number, as the
   * edge's route rule reads them (`42, 42` on one line is a `list`, routed to stable there). Without
   * it (gRPC metadata, whose repeated entries Node's HTTP/2 joins with ", ", and fetch's `Headers`),
   * a value is split where that join puts ", " — several entries of the same number are that number —
   * but a bare comma stays a `list`: one entry `42,42` is not an entry `42` (the mesh's exact match
   * does not route it to PR 42), so it must not become 42 at the next hop.
   */
  lines?: boolean;
}

/** How Node's HTTP/2 (and fetch's `Headers`) join a field's repeated entries into one value. */
const JOINED_ENTRIES_SEPARATOR = ', ';

/**
 * Parses the raw `X-Canary` header value(s) (or gRPC metadata values).
 * - `undefined`, `null` or no values → absent.
 * - Several values (an array, or — unless `lines` — one value joined with ", " by the transport) must
 *   all be equal: any number of equal values is that key, as the route rule routes it (the transport's
 *   header limits bound how many arrive).
 * - Leading/trailing spaces and tabs are trimmed; inner whitespace is invalid.
 * - A single value longer than {@link MAX_RAW_KEY_LENGTH} characters is `too_long` without being scanned.
 */
export function parseCanaryKey(
  raw: string | readonly string[] | undefined | null,
  options: ParseOptions = {},
): CanaryKey {
  if (raw === undefined || raw === null) return ABSENT_KEY;
  const values: readonly string[] = typeof raw === 'string' ? [raw] : raw;
  if (values.length === 0) return ABSENT_KEY;
  let pr: string | undefined;
  for (const value of values) {
    if (options.lines && value.includes(',')) return invalid('list');
    for (const element of value.split(JOINED_ENTRIES_SEPARATOR)) {
      if (element.includes(',')) return invalid('list');
      const result = classifyElement(element);
      if (result.kind !== 'valid') return result;
      if (pr !== undefined && pr !== result.pr) return invalid('conflicting_values');
      pr = result.pr;
    }
  }
  return pr === undefined ? ABSENT_KEY : { kind: 'valid', pr };
}

function classifyElement(element: string): CanaryKey {
  if (element.length > MAX_RAW_KEY_LENGTH) return invalid('too_long');
  const trimmed = trimOptionalWhitespace(element);
  if (trimmed.length === 0) return invalid('empty');
  const offending = firstOffendingReason(trimmed);
  if (offending) return invalid(offending);
  if (trimmed === '0') return invalid('zero');
  if (trimmed.startsWith('0')) return invalid('leading_zero');
  if (trimmed.length > MAX_PR_DIGITS) return invalid('too_long');
  return PR_NUMBER_PATTERN.test(trimmed) ? { kind: 'valid', pr: trimmed } : invalid('not_digits');
}

/** Control characters win over whitespace, which wins over other non-digits. */
function firstOffendingReason(value: string): InvalidReason | undefined {
  let reason: InvalidReason | undefined;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (isDigit(code)) continue;
    if (isOptionalWhitespace(code)) reason = 'whitespace';
    else if (code < 0x20 || code === 0x7f) return 'control_chars';
    else reason ??= 'not_digits';
  }
  return reason;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** HTTP OWS: space and horizontal tab. */
function isOptionalWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function trimOptionalWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOptionalWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isOptionalWhitespace(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

/** Whether `value` is a track: `stable` or `pr-<PR number>`. */
export function isTrack(value: string): value is Track {
  return value === 'stable' || (value.startsWith('pr-') && PR_NUMBER_PATTERN.test(value.slice(3)));
}

/** What a track must be, in words (never quoting a refused value). */
export const TRACK_RULE =
  'a track must be "stable" or "pr-<PR number>" (PR number 1-999999999, no leading zeros)';

/** Parses an instance's own track (`CANARY_TRACK`): `stable` or `pr-<PR number>`; throws otherwise. */
export function parseTrack(value: string): Track {
  if (isTrack(value)) return value;
  throw new Error(TRACK_RULE);
}

/** The track a request with this key is meant for. */
export function trackForKey(key: CanaryKey): Track {
  return key.kind === 'valid' ? `pr-${key.pr}` : 'stable';
}

/** The `X-Canary-Warning` value for an ignored key (ASCII only, never echoes the input). */
export function formatCanaryWarning(key: Extract<CanaryKey, { kind: 'invalid' }>): string {
  return `invalid canary key (${key.reason}): ${INVALID_MESSAGES[key.reason]}; served by stable`;
}
