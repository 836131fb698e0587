import type { ServedByEntry } from '@pr-canary/contracts/served-by';
import type { PrChoice } from './pr-choice';
import { type HopKind, hopKind } from './route-verdict';

/** The hop that owns the items: whatever store-service instance answered holds the data shown. */
const DATA_SERVICE = 'store-service';

/**
 * Whose data a response carried, read from its `X-Served-By` chain, not from the PR the user picked:
 * "2 items on PR 999" would be a lie when PR 999 has no store canary and stable's store answered.
 */
export interface DataSource {
  /** `stable`, `pr-<N>`, or null when the response did not say which store served it. */
  track: string | null;
  kind: HopKind;
  /** "stable", "PR 42", or "an unknown store". */
  label: string;
  /** Why the data is not from the chosen track, in words; null when it is. */
  note: string | null;
}

export function dataSource(hops: readonly ServedByEntry[], choice: PrChoice): DataSource {
  const hop = hops.find((candidate) => candidate.service === DATA_SERVICE);
  if (!hop) {
    return {
      track: null,
      kind: 'unknown',
      label: 'an unknown store',
      note: 'The response did not say which store served it (no store-service in X-Served-By).',
    };
  }
  const kind = hopKind(hop.track);
  return { track: hop.track, kind, label: trackLabel(hop.track), note: mismatchNote(hop.track, choice) };
}

/** "stable" → "stable", "pr-42" → "PR 42"; anything else as it came. */
export function trackLabel(track: string): string {
  return hopKind(track) === 'canary' ? `PR ${track.slice('pr-'.length)}` : track;
}

function mismatchNote(track: string, choice: PrChoice): string | null {
  if (choice.kind === 'pr') {
    if (track === `pr-${choice.pr}`) return null;
    if (track === 'stable') {
      return `PR ${choice.pr} has no store canary, so stable's store answered: these are stable's items.`;
    }
    return `You picked PR ${choice.pr}, but the ${trackLabel(track)} store answered: something between this page and the API changed X-Canary (a browser extension such as PR Canary, or a proxy).`;
  }
  if (track === 'stable') return null;
  return `You picked stable, but the ${trackLabel(track)} store answered: something between this page and the API added X-Canary (a browser extension such as PR Canary, or a proxy).`;
}
