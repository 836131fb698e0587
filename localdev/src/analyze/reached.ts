/**
 * A verdict on the hops the traffic reached. A service with no calls on either side (one added beside
 * the api → store path, say) cannot be judged, and more calls of the same traffic would not change
 * that: without a canary of PR N it is left out, and the summary names it; with one, the PR's change
 * there is untested, and the verdict says "cannot tell" for that reason instead of "run more calls".
 */
import { type HopObservation, judge, type Thresholds, type Verdict } from '@pr-canary/canary-analysis';

export interface ServiceHop {
  observation: HopObservation;
  /** PR N runs a canary of this service (else stable's instance served both sides). */
  hasCanary: boolean;
}

export function judgeReached(opts: {
  pr: string;
  mode: string;
  /** Hops judged whatever they saw (the load's own timings at the edge). */
  always: readonly HopObservation[];
  services: readonly ServiceHop[];
  /** What the calls were, for the summary: "this load (GET … through the dev router)". */
  traffic: string;
  thresholds?: Partial<Thresholds>;
}): Verdict {
  const unreached = ({ observation }: ServiceHop) =>
    observation.stable.calls === 0 && observation.pr.calls === 0;
  const notOnPath = opts.services.filter((s) => !s.hasCanary && unreached(s));
  const canaryNotReached = opts.services.filter((s) => s.hasCanary && unreached(s));
  const verdict = judge({
    pr: opts.pr,
    mode: opts.mode,
    hops: [
      ...opts.always,
      ...opts.services
        .filter((s) => !notOnPath.includes(s))
        .map((s) =>
          canaryNotReached.includes(s)
            ? { ...s.observation, source: `${s.observation.source}; no calls on either side` }
            : s.observation,
        ),
    ],
    thresholds: opts.thresholds,
  });
  const names = (hops: readonly ServiceHop[]) => hops.map((s) => s.observation.hop).join(' and ');
  const them = canaryNotReached.length > 1 ? 'them' : 'it';
  const summary =
    canaryNotReached.length > 0 && verdict.outcome === 'inconclusive'
      ? `Cannot tell whether PR ${opts.pr} is worse than stable: its ${names(canaryNotReached)} canary got no calls — ${opts.traffic} did not reach ${them}, so more of it would not help; send ${them} requests with X-Canary: ${opts.pr}`
      : verdict.summary;
  return {
    ...verdict,
    summary:
      notOnPath.length > 0
        ? `${summary} (not judged: ${names(notOnPath)}, which ${opts.traffic} did not reach on either side)`
        : summary,
  };
}
