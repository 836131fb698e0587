/**
 * Which instances served a response: the `X-Served-By` chain observed on a chosen origin, kept per tab,
 * and how each hop relates to the chosen PR. Parsing is canary-context's (`parseServedBy`); header
 * values are untrusted and only ever shown as text.
 */
import { SERVED_BY_HEADER } from '@pr-canary/canary-context/key';
import { isValidEntry, parseServedBy, type ServedByEntry } from '@pr-canary/canary-context/served-by';
import { normalizeOrigin } from './origin';

export type { ServedByEntry };

/** The last chain seen in a tab. Only the origin is kept, never the URL's path or query. */
export interface ObservedChain {
  origin: string;
  hops: ServedByEntry[];
  observedAt: number;
}

export interface HopView extends ServedByEntry {
  /** The hop ran a PR canary (any PR). */
  canary: boolean;
  /** The hop ran the chosen PR's canary. */
  onChosenPr: boolean;
}

const STORAGE_PREFIX = 'served-by:';

export function servedByStorageKey(tabId: number): string {
  return `${STORAGE_PREFIX}${tabId}`;
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

/** Reads a stored chain back, dropping anything that is not one. */
export function parseStoredChain(raw: unknown): ObservedChain | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const record = raw as Record<string, unknown>;
  const origin = typeof record.origin === 'string' ? normalizeOrigin(record.origin) : undefined;
  if (!origin?.ok || typeof record.observedAt !== 'number' || !Array.isArray(record.hops)) return undefined;
  const hops = record.hops.filter(isEntry);
  return { origin: origin.origin, hops, observedAt: record.observedAt };
}

function isEntry(value: unknown): value is ServedByEntry {
  if (typeof value !== 'object' || value === null) return false;
  const { service, track, version } = value as Record<string, unknown>;
  return (
    typeof service === 'string' &&
    typeof track === 'string' &&
    typeof version === 'string' &&
    isValidEntry({ service, track, version })
  );
}

/** Each hop with whether it is a canary and whether it is the chosen PR's. */
export function describeHops(hops: readonly ServedByEntry[], pr: string | null): HopView[] {
  return hops.map((hop) => ({
    ...hop,
    canary: hop.track.startsWith('pr-'),
    onChosenPr: pr !== null && hop.track === `pr-${pr}`,
  }));
}

/** Parses a JSON array of hops (from `/api/route`), or undefined when it is not one. */
export function parseHopList(raw: unknown): ServedByEntry[] | undefined {
  if (!Array.isArray(raw) || !raw.every(isEntry)) return undefined;
  return raw.map(({ service, track, version }) => ({ service, track, version }));
}
