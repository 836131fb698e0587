/**
 * PR-vs-stable verdict from what each hop saw on both sides: errors by Fisher's exact test, latency by
 * the Mann-Whitney U test (p50) plus a p99 tail test, all p-values Holm-adjusted together. A check
 * fails only when the PR is significantly worse *and* worse by more than its tolerance — each
 * percentile's tolerance backed by its own test — and, for latency, when the rise shows in both
 * halves of the run where the observation has them (a lasting change does; a stall of one process
 * does not). It passes only when there were enough calls to have seen a rise of the tolerance's size;
 * otherwise it says it cannot tell. Pure and browser-safe: the web UI imports this module to read a
 * verdict.
 */
import { PR_NUMBER_PATTERN } from '@pr-canary/contracts/canary-key';
import { type Bucket, bucketTallies, histogramQuantile } from './exposition';
import { FLAGGER_GATES, type Protocol } from './metrics';
import {
  fisherExactGreater,
  holmAdjust,
  mannWhitneyGreater,
  quantile,
  rateDifferenceUpperBound,
  sampleSizeForRateIncrease,
  type Tally,
  tallies,
} from './stats';
import { ms, percent } from './units';

export const VERDICT_SCHEMA = 'pr-canary/verdict@1';

export type Outcome = 'pass' | 'fail' | 'inconclusive';

/** Latencies as seen by a client (every call, ms) or by a service's histogram (cumulative, seconds). */
export type Latencies =
  | { kind: 'samples'; ms: readonly number[] }
  | { kind: 'buckets'; buckets: readonly Bucket[] };

export interface SideObservation {
  /** Which instance answered: `stable` or `pr-<N>`. */
  track: string;
  calls: number;
  errors: number;
  latencies: Latencies;
}

export interface HopObservation {
  /** `edge` (what the load generator saw, end to end) or a service name. */
  hop: string;
  protocol: Protocol | 'client';
  /** Where the numbers come from: the client's own timings or the service's series. */
  source: string;
  stable: SideObservation;
  pr: SideObservation;
  /**
   * The same calls split into the run's first and second half. With them, a latency rise fails only
   * when it shows in both; without them (too short a window to split) the whole run decides.
   */
  halves?: readonly [HalfObservation, HalfObservation];
}

export interface HalfObservation {
  stable: SideObservation;
  pr: SideObservation;
}

export interface Thresholds {
  /** Family-wise false-alarm rate over all checks of a verdict (Holm). */
  alpha: number;
  /**
   * Power of the test the "needs about N calls per side" advice of a verdict that cannot tell is sized
   * for (a pass itself rests on the confidence bound of the difference).
   */
  power: number;
  /** Error rate (a fraction) the PR may add over stable. */
  maxErrorRateIncrease: number;
  maxP50IncreaseMs: number;
  maxP99IncreaseMs: number;
  /** Calls per side below which no latency percentile is compared (p99 needs 100 to exist). */
  minLatencySamples: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  alpha: 0.05,
  power: 0.8,
  maxErrorRateIncrease: 0.05,
  maxP50IncreaseMs: 25,
  maxP99IncreaseMs: 50,
  minLatencySamples: 100,
});

/** The smallest sample the rank test is used on. */
const MIN_RANK_TEST_SAMPLES = 20;

export interface SideSummary {
  track: string;
  calls: number;
  errors: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface Check {
  kind: 'error-rate' | 'latency';
  outcome: Outcome;
  /** One sentence a person can act on. */
  reason: string;
  /** The tests behind it, with raw and Holm-adjusted p-values. */
  tests: { name: 'fisher-exact' | 'mann-whitney-u' | 'p99-tail'; p: number; adjustedP: number }[];
  /** PR minus stable: error-rate points (fraction) or ms at p50 / p99. */
  difference: Record<string, number | null>;
  /** Latency only, when the observation had halves: PR minus stable at p50 / p99 in each half. */
  halves?: { p50Ms: number | null; p99Ms: number | null }[];
}

export interface FlaggerGate {
  template: string;
  /** The PR side's value, percent or ms. */
  value: number | null;
  max: number;
  unit: '%' | 'ms';
  pass: boolean | null;
}

export interface HopVerdict {
  hop: string;
  source: string;
  outcome: Outcome;
  stable: SideSummary;
  pr: SideSummary;
  checks: Check[];
  /** For a service hop: what the Flagger Canary's gates would say of the PR side's numbers. */
  flagger: FlaggerGate[];
}

export interface Verdict {
  schema: typeof VERDICT_SCHEMA;
  pr: string;
  outcome: Outcome;
  summary: string;
  /** The hop where a failure starts (the deepest failing hop), if any. */
  origin: string | null;
  createdAt: string;
  mode: string;
  thresholds: Thresholds;
  hops: HopVerdict[];
}

export function judge(opts: {
  pr: string;
  mode: string;
  hops: readonly HopObservation[];
  thresholds?: Partial<Thresholds>;
  now?: Date;
}): Verdict {
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
  assertThresholds(thresholds);
  const drafts = opts.hops.map((observation) => draftHop(observation, thresholds));
  // Holm over every test of the verdict, then decide each check with its adjusted p-values.
  const allTests = drafts.flatMap((draft) => draft.checks.flatMap((check) => check.tests));
  const adjusted = holmAdjust(allTests.map((test) => test.p));
  allTests.forEach((test, index) => {
    test.adjustedP = adjusted[index] as number;
  });
  const hops: HopVerdict[] = drafts.map((draft) => {
    const checks = draft.checks.map((check) => check.decide(thresholds));
    return {
      hop: draft.hop,
      source: draft.source,
      outcome: combine(checks.map((c) => c.outcome)),
      stable: draft.stable,
      pr: draft.pr,
      checks,
      flagger: draft.flagger,
    };
  });
  const outcome = combine(hops.map((h) => h.outcome));
  const failing = hops.filter((h) => h.outcome === 'fail');
  const origin = failing.length > 0 ? (failing[failing.length - 1] as HopVerdict).hop : null;
  return {
    schema: VERDICT_SCHEMA,
    pr: opts.pr,
    outcome,
    summary: summarize(opts.pr, outcome, hops, origin),
    origin,
    createdAt: (opts.now ?? new Date()).toISOString(),
    mode: opts.mode,
    thresholds,
    hops,
  };
}

function assertThresholds(t: Thresholds): void {
  const fraction = (value: number) => value > 0 && value < 1;
  if (!fraction(t.alpha)) throw new RangeError('alpha must be between 0 and 1');
  if (!fraction(t.power)) throw new RangeError('power must be between 0 and 1');
  if (!fraction(t.maxErrorRateIncrease))
    throw new RangeError('the error-rate tolerance must be between 0 and 1');
  for (const [name, value] of [
    ['p50', t.maxP50IncreaseMs],
    ['p99', t.maxP99IncreaseMs],
  ] as const)
    if (!(value >= 0 && Number.isFinite(value))) throw new RangeError(`the ${name} tolerance must be ≥ 0 ms`);
  if (!(Number.isInteger(t.minLatencySamples) && t.minLatencySamples >= MIN_RANK_TEST_SAMPLES))
    throw new RangeError(`the latency sample minimum must be a whole number ≥ ${MIN_RANK_TEST_SAMPLES}`);
}

interface DraftCheck {
  tests: Check['tests'];
  decide(thresholds: Thresholds): Check;
}

interface DraftHop {
  hop: string;
  source: string;
  stable: SideSummary;
  pr: SideSummary;
  checks: DraftCheck[];
  flagger: FlaggerGate[];
}

function draftHop(observation: HopObservation, thresholds: Thresholds): DraftHop {
  const halves = observation.halves ?? [];
  for (const side of [observation.stable, observation.pr, ...halves.flatMap((h) => [h.stable, h.pr])])
    assertSide(side, observation.hop);
  const stable = summarizeSide(observation.stable);
  const pr = summarizeSide(observation.pr);
  return {
    hop: observation.hop,
    source: observation.source,
    stable,
    pr,
    checks: [errorCheck(observation, thresholds), latencyCheck(observation, stable, pr, thresholds)],
    flagger: flaggerGates(observation, pr),
  };
}

function assertSide(side: SideObservation, hop: string): void {
  if (
    !Number.isInteger(side.calls) ||
    !Number.isInteger(side.errors) ||
    side.errors < 0 ||
    side.errors > side.calls
  )
    throw new RangeError(`${hop}: calls and errors must be whole numbers with 0 ≤ errors ≤ calls`);
}

function summarizeSide(side: SideObservation): SideSummary {
  const at = (q: number) => percentileMs(side.latencies, q);
  return {
    track: side.track,
    calls: side.calls,
    errors: side.errors,
    errorRate: side.calls === 0 ? 0 : side.errors / side.calls,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
  };
}

function percentileMs(latencies: Latencies, q: number): number | null {
  if (latencies.kind === 'samples') {
    if (latencies.ms.length === 0) return null;
    return round(
      quantile(
        [...latencies.ms].sort((a, b) => a - b),
        q,
      ),
    );
  }
  const seconds = histogramQuantile(q, latencies.buckets);
  return Number.isFinite(seconds) ? round(seconds * 1000) : null;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function errorCheck(observation: HopObservation, _thresholds: Thresholds): DraftCheck {
  const { stable, pr } = observation;
  const tests: Check['tests'] = [];
  const enough = stable.calls > 0 && pr.calls > 0;
  if (enough)
    tests.push({
      name: 'fisher-exact',
      p: fisherExactGreater(
        { events: pr.errors, total: pr.calls },
        { events: stable.errors, total: stable.calls },
      ),
      adjustedP: 1,
    });
  return {
    tests,
    decide(thresholds) {
      const stableRate = stable.calls === 0 ? 0 : stable.errors / stable.calls;
      const prRate = pr.calls === 0 ? 0 : pr.errors / pr.calls;
      const increase = prRate - stableRate;
      const difference = { errorRate: enough ? increase : null };
      const base = { kind: 'error-rate' as const, tests, difference };
      const tolerance = percent(thresholds.maxErrorRateIncrease);
      if (!enough)
        return {
          ...base,
          outcome: 'inconclusive',
          reason: `no calls seen on ${pr.calls === 0 ? 'the PR' : 'stable'}`,
        };
      const significant = (tests[0]?.adjustedP ?? 1) < thresholds.alpha;
      const rates = `${percent(prRate)} errors on ${prSideName(pr, stable)} vs ${percent(stableRate)} on ${stable.track}`;
      if (significant && increase > thresholds.maxErrorRateIncrease)
        return {
          ...base,
          outcome: 'fail',
          reason: `${rates}: more than ${tolerance} worse, and not by chance`,
        };
      if (increase > thresholds.maxErrorRateIncrease)
        return {
          ...base,
          outcome: 'inconclusive',
          reason: `${rates}: worse by more than ${tolerance}, but too few calls to rule out chance`,
        };
      // A pass says the data rule out a rise of the tolerance: the 95 % upper bound of the difference
      // is below it. However few the calls — 0 errors in 200 against a stable at 22 % rules it out.
      const bound = rateDifferenceUpperBound(
        { events: pr.errors, total: pr.calls },
        { events: stable.errors, total: stable.calls },
        thresholds.alpha,
      );
      const boundText = `${bound > 0 ? '+' : ''}${percent(bound)}`;
      if (bound < thresholds.maxErrorRateIncrease)
        return {
          ...base,
          outcome: 'pass',
          reason: `${rates}: within ${tolerance} (${boundText} at most, ${percent(1 - thresholds.alpha)} bound)`,
        };
      const had = Math.min(stable.calls, pr.calls);
      const needed = sampleSizeForRateIncrease({
        baseRate: stableRate,
        increase: thresholds.maxErrorRateIncrease,
        alpha: thresholds.alpha,
        power: thresholds.power,
      });
      const more =
        had < needed
          ? `ruling out a rise of ${tolerance} needs about ${needed} per side, had ${had}`
          : 'run more calls';
      return {
        ...base,
        outcome: 'inconclusive',
        reason: `${rates}: too few calls to tell — the PR could be up to ${boundText} worse (${percent(1 - thresholds.alpha)} bound); ${more}`,
      };
    },
  };
}

function latencyCheck(
  observation: HopObservation,
  stable: SideSummary,
  pr: SideSummary,
  _t: Thresholds,
): DraftCheck {
  const prLatencies = observation.pr.latencies;
  const stableLatencies = observation.stable.latencies;
  const prTallies = latencyTallies(prLatencies);
  const stableTallies = latencyTallies(stableLatencies);
  const n = Math.min(count(prTallies), count(stableTallies));
  const tests: Check['tests'] = [];
  if (n >= MIN_RANK_TEST_SAMPLES && comparable(prLatencies, stableLatencies)) {
    tests.push({ name: 'mann-whitney-u', p: mannWhitneyGreater(prTallies, stableTallies).p, adjustedP: 1 });
    const tail = tailTest(prLatencies, stableLatencies);
    if (tail !== undefined) tests.push({ name: 'p99-tail', p: tail, adjustedP: 1 });
  }
  const halves = observation.halves?.map((half) => ({
    p50Ms: diff(percentileMs(half.pr.latencies, 0.5), percentileMs(half.stable.latencies, 0.5)),
    p99Ms: diff(percentileMs(half.pr.latencies, 0.99), percentileMs(half.stable.latencies, 0.99)),
  }));
  return {
    tests,
    decide(thresholds) {
      const p50 = diff(pr.p50Ms, stable.p50Ms);
      const p99 = diff(pr.p99Ms, stable.p99Ms);
      const base = {
        kind: 'latency' as const,
        tests,
        difference: { p50Ms: p50, p99Ms: p99 },
        ...(halves ? { halves } : {}),
      };
      const shown = `p50 ${ms(pr.p50Ms)} / p99 ${ms(pr.p99Ms)} on ${prSideName(pr, stable)} vs ${ms(stable.p50Ms)} / ${ms(stable.p99Ms)} on ${stable.track}`;
      if (tests.length === 0)
        return {
          ...base,
          outcome: 'inconclusive',
          reason: comparable(prLatencies, stableLatencies)
            ? `too few calls to compare latency: ${n} per side, the rank test needs ${MIN_RANK_TEST_SAMPLES}`
            : 'the two sides use different histogram buckets',
        };
      const rank = tests.find((t) => t.name === 'mann-whitney-u');
      const tail = tests.find((t) => t.name === 'p99-tail');
      const slowerOverall = (rank?.adjustedP ?? 1) < thresholds.alpha;
      const slowerTail = (tail?.adjustedP ?? 1) < thresholds.alpha;
      const over = (value: number | null, tolerance: number) => value !== null && value > tolerance;
      const p50Over = over(p50, thresholds.maxP50IncreaseMs);
      const p99Over = over(p99, thresholds.maxP99IncreaseMs);
      // Each percentile's rise is backed by the test of that part of the distribution: the rank test
      // for the middle, the tail test for p99 (a rank test over a small shift says nothing of p99).
      const p50Rise = slowerOverall && p50Over;
      const p99Rise = slowerTail && p99Over;
      // …and it must last: both halves of the run over the same tolerance.
      const inBothHalves = (key: 'p50Ms' | 'p99Ms', tolerance: number) =>
        halves === undefined || halves.every((half) => over(half[key], tolerance));
      const p50Lasting = p50Rise && inBothHalves('p50Ms', thresholds.maxP50IncreaseMs);
      const p99Lasting = p99Rise && inBothHalves('p99Ms', thresholds.maxP99IncreaseMs);
      // Every percentile that rose, not just one: "at p50 and … at p99".
      const by = (atP50: boolean, atP99: boolean) =>
        [
          ...(atP50 ? [`${thresholds.maxP50IncreaseMs} ms at p50`] : []),
          ...(atP99 ? [`${thresholds.maxP99IncreaseMs} ms at p99`] : []),
        ].join(' and ');
      if (p50Lasting || p99Lasting)
        return {
          ...base,
          outcome: 'fail',
          reason: `${shown}: slower by more than ${by(p50Lasting, p99Lasting)}, and not by chance`,
        };
      if (p50Rise || p99Rise)
        return {
          ...base,
          outcome: 'inconclusive',
          reason: `${shown}: slower by more than ${by(p50Rise, p99Rise)}, but in one half of the run only — a stall, not a lasting change, or one that comes and goes: run again`,
        };
      if (n < thresholds.minLatencySamples)
        return {
          ...base,
          outcome: 'inconclusive',
          reason: `${shown}: too few calls to tell at p99 (${n} per side, need ${thresholds.minLatencySamples})`,
        };
      if (p50Over || p99Over)
        return {
          ...base,
          outcome: 'inconclusive',
          reason: `${shown}: slower, but not clearly more than chance`,
        };
      return {
        ...base,
        outcome: 'pass',
        reason: `${shown}: within ${thresholds.maxP50IncreaseMs} ms at p50 and ${thresholds.maxP99IncreaseMs} ms at p99`,
      };
    },
  };
}

function latencyTallies(latencies: Latencies): Tally[] {
  return latencies.kind === 'samples' ? tallies(latencies.ms) : bucketTallies(latencies.buckets);
}

function count(list: readonly Tally[]): number {
  return list.reduce((sum, t) => sum + t.count, 0);
}

/** Histograms can only be ranked against each other on the same bucket bounds. */
function comparable(a: Latencies, b: Latencies): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'samples' || b.kind === 'samples') return true;
  const bounds = (list: readonly Bucket[]) =>
    list
      .map((x) => x.le)
      .sort((x, y) => x - y)
      .join(',');
  return bounds(a.buckets) === bounds(b.buckets);
}

/**
 * Tail test: of the calls above stable's own p99, does the PR have significantly more? (Fisher on
 * above/not-above; for histograms the bound is the first bucket edge at or above stable's p99.) Only
 * with at least 100 calls per side — below that a sample has no p99 to speak of.
 */
function tailTest(pr: Latencies, stable: Latencies): number | undefined {
  if (pr.kind === 'samples' && stable.kind === 'samples') {
    if (Math.min(pr.ms.length, stable.ms.length) < 100) return undefined;
    const bound = quantile(
      [...stable.ms].sort((a, b) => a - b),
      0.99,
    );
    const above = (list: readonly number[]) => list.filter((v) => v > bound).length;
    return fisherExactGreater(
      { events: above(pr.ms), total: pr.ms.length },
      { events: above(stable.ms), total: stable.ms.length },
    );
  }
  if (pr.kind === 'buckets' && stable.kind === 'buckets') {
    const total = (list: readonly Bucket[]) => list.reduce((max, b) => Math.max(max, b.count), 0);
    if (Math.min(total(pr.buckets), total(stable.buckets)) < 100) return undefined;
    const p99 = histogramQuantile(0.99, stable.buckets);
    const edge = [...stable.buckets].sort((a, b) => a.le - b.le).find((b) => b.le >= p99);
    if (!edge || edge.le === Number.POSITIVE_INFINITY) return undefined;
    const atOrBelow = (list: readonly Bucket[]) => list.find((b) => b.le === edge.le)?.count ?? 0;
    return fisherExactGreater(
      { events: total(pr.buckets) - atOrBelow(pr.buckets), total: total(pr.buckets) },
      { events: total(stable.buckets) - atOrBelow(stable.buckets), total: total(stable.buckets) },
    );
  }
  return undefined;
}

function flaggerGates(observation: HopObservation, pr: SideSummary): FlaggerGate[] {
  const gates = FLAGGER_GATES.find(
    (g) => g.service === observation.hop && g.protocol === observation.protocol,
  );
  if (!gates) return [];
  const errorPercent = pr.calls === 0 ? null : round(pr.errorRate * 100);
  return [
    {
      template: gates.errorRate.template,
      value: errorPercent,
      max: gates.errorRate.maxPercent,
      unit: '%',
      pass: errorPercent === null ? null : errorPercent <= gates.errorRate.maxPercent,
    },
    {
      template: gates.latencyP99.template,
      value: pr.p99Ms,
      max: gates.latencyP99.maxMs,
      unit: 'ms',
      pass: pr.p99Ms === null ? null : pr.p99Ms <= gates.latencyP99.maxMs,
    },
  ];
}

function combine(outcomes: readonly Outcome[]): Outcome {
  if (outcomes.includes('fail')) return 'fail';
  if (outcomes.includes('inconclusive') || outcomes.length === 0) return 'inconclusive';
  return 'pass';
}

function summarize(pr: string, outcome: Outcome, hops: readonly HopVerdict[], origin: string | null): string {
  if (outcome === 'fail') {
    const at = hops.find((h) => h.hop === origin);
    const why = at?.checks
      .filter((c) => c.outcome === 'fail')
      .map((c) => c.reason)
      .join('; ');
    return `PR ${pr} is worse than stable, starting at ${origin}: ${why}`;
  }
  if (outcome === 'inconclusive') {
    const unsure = hops.filter((h) => h.outcome === 'inconclusive');
    // Why, in the checks' own words: too few calls (run more) is one reason, a rise in one half of the
    // run only (run again) another — one piece of advice for all would be wrong for some.
    // Each reason named by its hop: the same words can hold for one hop and not another.
    const why = unsure
      .map((h) => {
        const reasons = [
          ...new Set(h.checks.filter((c) => c.outcome === 'inconclusive').map((c) => c.reason)),
        ];
        return `${h.hop}: ${reasons.join('; ') || 'run more calls'}`;
      })
      .join(' — ');
    return `Cannot tell whether PR ${pr} is worse than stable — ${why || 'run more calls'}`;
  }
  return `PR ${pr} is no worse than stable at any hop`;
}

/**
 * The PR side in a check's sentence: its track, or — where the PR runs no canary of the hop's service
 * and stable's instance served its calls too — says so, so that the sentence never reads "on stable vs
 * on stable".
 */
function prSideName(pr: { track: string }, stable: { track: string }): string {
  return pr.track === stable.track ? `the PR's calls (served by ${pr.track})` : pr.track;
}

function diff(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : round(a - b);
}

/** Exit code for CI: 0 pass, 1 fail, 3 cannot tell (2 is the CLI's usage error, 4 {@link NOT_JUDGED_EXIT_CODE}). */
export function exitCodeFor(outcome: Outcome): 0 | 1 | 3 {
  return outcome === 'pass' ? 0 : outcome === 'fail' ? 1 : 3;
}

/**
 * Exit code when no verdict was made (the stack or Prometheus did not answer, an instance restarted
 * during the run): not 1, which CI reads as "the PR is worse than stable".
 */
export const NOT_JUDGED_EXIT_CODE = 4;

/**
 * Reads a verdict someone else wrote (the web UI gets it over HTTP): checks the shape it renders and
 * returns it typed, or throws naming what is wrong.
 */
export function parseVerdict(value: unknown): Verdict {
  const fail = (what: string): never => {
    throw new TypeError(`not a pr-canary verdict: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const v = value as Record<string, unknown>;
  if (v.schema !== VERDICT_SCHEMA) return fail(`schema is not ${VERDICT_SCHEMA}`);
  if (typeof v.pr !== 'string' || !PR_NUMBER_PATTERN.test(v.pr)) fail('pr');
  if (!isOutcome(v.outcome)) fail('outcome');
  if (typeof v.summary !== 'string' || typeof v.createdAt !== 'string' || typeof v.mode !== 'string')
    fail('summary');
  if (v.origin !== null && typeof v.origin !== 'string') fail('origin');
  if (!Array.isArray(v.hops)) return fail('hops');
  for (const hop of v.hops as unknown[]) {
    const h = hop as Record<string, unknown>;
    if (typeof h !== 'object' || h === null || typeof h.hop !== 'string' || !isOutcome(h.outcome))
      fail('a hop');
    for (const side of [h.stable, h.pr]) {
      const s = side as Record<string, unknown>;
      if (typeof s !== 'object' || s === null || typeof s.track !== 'string' || typeof s.calls !== 'number')
        fail('a side');
    }
    if (!Array.isArray(h.checks)) fail('checks');
    for (const check of h.checks as unknown[]) {
      const c = check as Record<string, unknown>;
      if (typeof c !== 'object' || c === null || !isOutcome(c.outcome) || typeof c.reason !== 'string')
        fail('a check');
    }
    if (!Array.isArray(h.flagger)) fail('flagger gates');
  }
  return value as Verdict;
}

function isOutcome(value: unknown): value is Outcome {
  return value === 'pass' || value === 'fail' || value === 'inconclusive';
}
