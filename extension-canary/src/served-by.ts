/**
 * Which instances served a response: the `X-Served-By` chain observed on a chosen origin, kept per tab,
 * and how each hop relates to the chosen PR. Parsing is the contracts' (`parseServedBy`); header
 * values are untrusted and only ever shown as text.
 */

import {
  CANARY_HEADER,
  parseCanaryKey,
  SERVED_BY_HEADER,
  TRACE_ID_HEADER,
  TRACE_ID_PATTERN,
} from '@pr-canary/contracts/canary-key';
import { isServedByEntry, parseServedBy, type ServedByEntry } from '@pr-canary/contracts/served-by';
import { normalizeOrigin } from './origin';

export type { ServedByEntry };

/** The last chain seen in a tab. Only the origin is kept, never the URL's path or query. */
export interface ObservedChain {
  origin: string;
  hops: ServedByEntry[];
  observedAt: number;
  /** The PR this extension's rules put into that request (null: none matched, or it was off). */
  sentCanary: string | null;
  /** The key the API says it served the request under (its `X-Canary` echo), null when none. */
  echoedCanary: string | null;
  /** The response's trace (`X-Trace-Id`), null when the API did not trace it. */
  traceId: string | null;
}

/** Whether the key the API received is the one this extension set, in a form the popup and badge show. */
export type KeyCheck =
  | { kind: 'confirmed'; pr: string }
  | { kind: 'replaced'; sent: string; received: string }
  | { kind: 'not-received'; sent: string }
  | { kind: 'foreign'; received: string }
  | { kind: 'none' };

export interface HopView extends ServedByEntry {
  /** The hop ran a PR canary (any PR). */
  canary: boolean;
  /** The hop ran the chosen PR's canary. */
  onChosenPr: boolean;
}

export const SERVED_BY_PREFIX = 'served-by:';

export function servedByStorageKey(tabId: number): string {
  return `${SERVED_BY_PREFIX}${tabId}`;
}

/** The chain in a response's headers, or undefined when the response has no `X-Served-By`. */
export function chainFromHeaders(
  headers: readonly { name: string; value?: string }[] | undefined,
): ServedByEntry[] | undefined {
  const values = (headers ?? [])
    .filter((header) => header.name.toLowerCase() === SERVED_BY_HEADER && header.value !== undefined)
    .map((header) => header.value as string);
  return values.length === 0 ? undefined : parseServedBy(values.join(', '));
}

type ResponseHeaders = readonly { name: string; value?: string }[] | undefined;

/** The value of a header the response carries exactly once; undefined when it has none or several. */
function singleHeader(headers: ResponseHeaders, name: string): string | undefined {
  const values = (headers ?? []).filter((header) => header.name.toLowerCase() === name);
  return values.length === 1 ? values[0]?.value : undefined;
}

/** The API's `X-Canary` echo in response headers: a valid PR number, else null. */
export function echoFromHeaders(headers: ResponseHeaders): string | null {
  const value = singleHeader(headers, CANARY_HEADER);
  if (value === undefined) return null;
  const key = parseCanaryKey(value);
  return key.kind === 'valid' ? key.pr : null;
}

/** The response's `X-Trace-Id` (32 lowercase hex digits), else null. */
export function traceFromHeaders(headers: ResponseHeaders): string | null {
  const value = singleHeader(headers, TRACE_ID_HEADER);
  return value !== undefined && TRACE_ID_PATTERN.test(value) ? value : null;
}

/**
 * Compares what this extension sent with what the API echoed. The extension's rule *sets* the header, so
 * whatever the page sent is replaced; a different echo means something after it (another extension, a
 * proxy) changed the key, and an echo while the extension sent nothing means the page or something else
 * set it.
 */
export function checkKey(chain: Pick<ObservedChain, 'sentCanary' | 'echoedCanary'>): KeyCheck {
  const { sentCanary: sent, echoedCanary: received } = chain;
  if (sent !== null) {
    if (received === sent) return { kind: 'confirmed', pr: sent };
    return received === null ? { kind: 'not-received', sent } : { kind: 'replaced', sent, received };
  }
  return received === null ? { kind: 'none' } : { kind: 'foreign', received };
}

/** The sentence the popup shows for a key check, or undefined when there is nothing to say. */
export function describeKeyCheck(check: KeyCheck): { level: 'ok' | 'warning'; text: string } | undefined {
  switch (check.kind) {
    case 'confirmed':
      return { level: 'ok', text: `The API received X-Canary ${check.pr} from PR Canary.` };
    case 'replaced':
      return {
        level: 'warning',
        text: `PR Canary sent X-Canary ${check.sent}, but the API received ${check.received}: another extension or a proxy changed it.`,
      };
    case 'not-received':
      return {
        level: 'warning',
        text: `PR Canary sent X-Canary ${check.sent}, but the API did not echo it: something on the way (an edge that strips it) removed it, or the API does not echo the key.`,
      };
    case 'foreign':
      return {
        level: 'warning',
        text: `Requests in this tab carry X-Canary ${check.received}, which PR Canary did not set: the page itself, another extension or a proxy sets it.`,
      };
    case 'none':
      return undefined;
  }
}

/** Reads a stored chain back, dropping anything that is not one. */
export function parseStoredChain(raw: unknown): ObservedChain | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const record = raw as Record<string, unknown>;
  const origin = typeof record.origin === 'string' ? normalizeOrigin(record.origin) : undefined;
  if (!origin?.ok || typeof record.observedAt !== 'number' || !Array.isArray(record.hops)) return undefined;
  const hops = record.hops
    .filter(isServedByEntry)
    .map(({ service, track, version }) => ({ service, track, version }));
  return {
    origin: origin.origin,
    hops,
    observedAt: record.observedAt,
    sentCanary: storedKey(record.sentCanary),
    echoedCanary: storedKey(record.echoedCanary),
    traceId:
      typeof record.traceId === 'string' && TRACE_ID_PATTERN.test(record.traceId) ? record.traceId : null,
  };
}

function storedKey(raw: unknown): string | null {
  const key = typeof raw === 'string' ? parseCanaryKey(raw) : undefined;
  return key?.kind === 'valid' ? key.pr : null;
}

/** Each hop with whether it is a canary and whether it is the chosen PR's. */
export function describeHops(hops: readonly ServedByEntry[], pr: string | null): HopView[] {
  return hops.map((hop) => ({
    ...hop,
    canary: hop.track.startsWith('pr-'),
    onChosenPr: pr !== null && hop.track === `pr-${pr}`,
  }));
}
