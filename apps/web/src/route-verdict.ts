import { parseTrack } from '@pr-canary/contracts/canary-key';
import type { ServedByEntry } from '@pr-canary/contracts/served-by';
import { nodeServices } from '@pr-canary/contracts/services';

/** The registry's services behind the edge (the mesh): an API request that reached one reports it. */
const MESH_SERVICES: ReadonlySet<string> = new Set(
  nodeServices()
    .filter((service) => service.hop === 'mesh')
    .map((service) => service.name),
);

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
  /** The key the API says it served the request under (its `X-Canary` echo), null when none. */
  echoedCanary: string | null;
  hops: readonly ServedByEntry[];
  servedByPresent: boolean;
  /** The API's X-Canary-Warning (or the route report's warning). */
  warning: string | null;
  /** For an error response, the API's message. */
  errorMessage: string | null;
}

/**
 * Explains where a request landed. "Landed nowhere" means a PR was chosen but no hop reports that PR's
 * track: the PR has no canary running (not deployed, not labelled, or the key was stripped). A failed
 * request is explained by the API's own message (e.g. "the PR 42 canary of store-service is declared
 * but not running"), never by guesses from its incomplete chain.
 */
export function assessRoute(facts: RouteFacts): Verdict[] {
  const verdicts: Verdict[] = [];
  // 0: no readable response at all (network, CORS, timeout).
  const failed = facts.status >= 500 || facts.status === 0;
  if (facts.status >= 400 || facts.status === 0) {
    verdicts.push({ level: failed ? 'warning' : 'info', text: failureText(facts) });
  }
  if (facts.warning) {
    verdicts.push({ level: 'warning', text: `The API ignored the canary key: ${facts.warning}` });
  }
  const rewritten = keyRewrite(facts);
  if (rewritten) verdicts.push({ level: 'warning', text: rewritten });
  if (!facts.servedByPresent) {
    // An error answered by something in front of the api (the router, a gateway) has no chain at all.
    if (!failed && facts.status < 400) {
      verdicts.push({
        level: 'warning',
        text: 'The response carried no X-Served-By header, so the route is unknown (is the header exposed via CORS?).',
      });
    }
    return verdicts;
  }
  const key = effectiveKey(facts);
  const foreign = facts.hops.filter(
    (hop) => hopKind(hop.track) === 'canary' && hop.track !== (key === null ? null : `pr-${key}`),
  );
  for (const hop of foreign) {
    verdicts.push({
      level: 'warning',
      text: `${hop.service} was served by ${hop.track}, which this request did not ask for.`,
    });
  }
  // A failed request's chain is incomplete: "every hop", "landed nowhere" or "stayed on stable" would
  // all be guesses about hops that never answered.
  if (failed) return verdicts;
  const summary = summaryVerdict(facts, key, foreign.length > 0);
  if (summary) verdicts.push(summary);
  return verdicts;
}

function failureText(facts: RouteFacts): string {
  if (facts.status === 0) return `The request failed: ${facts.errorMessage ?? 'no response'}`;
  const reason = facts.errorMessage ? `: ${facts.errorMessage.replace(/[.\s]+$/, '')}` : '';
  // Only when the chain is short: a store that failed on purpose still reports its hop, and then
  // nothing is missing (the failure is the last hop's own answer).
  const chain =
    facts.servedByPresent && facts.status >= 500 && hopsMissing(facts.hops)
      ? ' Hops after the failing one are missing.'
      : '';
  return `The request failed with HTTP ${facts.status}${reason}.${chain}`;
}

/**
 * The chain stopped at the edge: no service behind it reported a hop. (Which services a request passes
 * is not in the registry — a service added later may not be on this one's path — so "missing" is only
 * said when none behind the edge answered.)
 */
function hopsMissing(hops: readonly ServedByEntry[]): boolean {
  return !hops.some((hop) => MESH_SERVICES.has(hop.service));
}

/**
 * The key the API actually received: its echo when it sent one (a browser extension such as PR Canary
 * may have set or replaced the page's key on the way), else what the page sent.
 */
function effectiveKey(facts: RouteFacts): string | null {
  return facts.echoedCanary ?? facts.sentCanary;
}

function keyRewrite(facts: RouteFacts): string | undefined {
  const echoed = facts.echoedCanary;
  if (echoed === null || echoed === facts.sentCanary) return undefined;
  if (facts.sentCanary === null) {
    return `This page sent no X-Canary, but the API received X-Canary: ${echoed}: a browser extension (such as PR Canary) or a proxy added it.`;
  }
  return `This page sent X-Canary: ${facts.sentCanary}, but the API received ${echoed}: a browser extension (such as PR Canary) or a proxy replaced it.`;
}

function summaryVerdict(
  facts: RouteFacts,
  key: string | null,
  sawForeignCanary: boolean,
): Verdict | undefined {
  // The API's warning already says the key was ignored and stable served the request.
  if (facts.warning) return undefined;
  if (key !== null) return canaryVerdict(key, facts.hops);
  return sawForeignCanary ? undefined : { level: 'ok', text: 'No canary key sent: every hop was stable.' };
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
    text: `PR ${pr} has a canary for ${list(onCanary)}; ${list(elsewhere)} ${elsewhere.length === 1 ? 'has' : 'have'} none, so stable served ${elsewhere.length === 1 ? 'it' : 'them'}.`,
  };
}

function list(names: readonly string[]): string {
  return names.join(', ');
}
