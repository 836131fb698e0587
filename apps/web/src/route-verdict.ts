import { parseTrack } from '@pr-canary/canary-context/key';
import type { ServedByEntry } from '@pr-canary/canary-context/served-by';

/** How a hop's track is shown: a PR canary (amber), stable (calm blue), or something unrecognised. */
export type HopKind = 'canary' | 'stable' | 'unknown';

export function hopKind(track: string): HopKind {
  try {
    return parseTrack(track) === 'stable' ? 'stable' : 'canary';
  } catch {
    return 'unknown';
  }
}

export type VerdictLevel = 'ok' | 'info' | 'warning';

export interface Verdict {
  level: VerdictLevel;
  text: string;
}

export interface RouteFacts {
  /** HTTP status of the response the hops came from. */
  status: number;
  /** What the request was sent with (null = no X-Canary). */
  sentCanary: string | null;
  hops: readonly ServedByEntry[];
  servedByPresent: boolean;
  /** The API's X-Canary-Warning (or the route report's warning). */
  warning: string | null;
}

/**
 * Explains where a request landed. "Landed nowhere" means a PR was chosen but no hop reports that PR's
 * track: the PR has no canary running (not deployed, not labelled, or the key was stripped).
 */
export function assessRoute(facts: RouteFacts): Verdict[] {
  const verdicts: Verdict[] = [];
  const failed = facts.status >= 500;
  if (failed) {
    verdicts.push({
      level: 'warning',
      text: `The request failed with HTTP ${facts.status}: hops after the failing one are missing from the chain.`,
    });
  }
  if (facts.warning) {
    verdicts.push({ level: 'warning', text: `The API ignored the canary key: ${facts.warning}` });
  }
  if (!facts.servedByPresent) {
    verdicts.push({
      level: 'warning',
      text: 'The response carried no X-Served-By header, so the route is unknown (is the header exposed via CORS?).',
    });
    return verdicts;
  }
  const foreign = facts.hops.filter(
    (hop) => hopKind(hop.track) === 'canary' && hop.track !== expectedTrack(facts),
  );
  for (const hop of foreign) {
    verdicts.push({
      level: 'warning',
      text: `${hop.service} was served by ${hop.track}, which this request did not ask for.`,
    });
  }
  const summary = summaryVerdict(facts, foreign.length > 0);
  // A failed request's chain is incomplete, so "every hop" would overstate it.
  if (summary && !(failed && summary.level === 'ok')) verdicts.push(summary);
  return verdicts;
}

function summaryVerdict(facts: RouteFacts, sawForeignCanary: boolean): Verdict | undefined {
  // The API's warning already says the key was ignored and stable served the request.
  if (facts.warning) return undefined;
  if (facts.sentCanary !== null) return canaryVerdict(facts.sentCanary, facts.hops);
  return sawForeignCanary ? undefined : { level: 'ok', text: 'No canary key sent: every hop was stable.' };
}

function expectedTrack(facts: RouteFacts): string | null {
  return facts.sentCanary === null ? null : `pr-${facts.sentCanary}`;
}

function canaryVerdict(pr: string, hops: readonly ServedByEntry[]): Verdict {
  const track = `pr-${pr}`;
  const onCanary = hops.filter((hop) => hop.track === track).map((hop) => hop.service);
  const elsewhere = hops.filter((hop) => hop.track !== track).map((hop) => hop.service);
  if (onCanary.length === 0) {
    return {
      level: 'warning',
      text: `PR ${pr} landed nowhere: no hop runs a canary for PR ${pr}, so stable served the request. Is the PR deployed?`,
    };
  }
  if (elsewhere.length === 0) return { level: 'ok', text: `Every hop was served by the PR ${pr} canary.` };
  return {
    level: 'info',
    text: `PR ${pr} has a canary for ${list(onCanary)}; ${list(elsewhere)} stayed on stable (the PR does not change ${elsewhere.length === 1 ? 'it' : 'them'}).`,
  };
}

function list(names: readonly string[]): string {
  return names.join(', ');
}
