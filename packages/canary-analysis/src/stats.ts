/**
 * The statistics behind a verdict, written out so they can be checked: Fisher's exact test for error
 * counts, the Mann-Whitney U test for latencies (raw samples or histogram buckets), Holm's correction
 * for testing several hops at once, and the sample size a two-proportion comparison needs. Pure: no
 * Node or browser APIs. Known values in test/stats.test.ts come from SciPy.
 */

/** A value and how often it was seen; ordered tallies are how both samples and histograms are compared. */
export interface Tally {
  value: number;
  count: number;
}

/**
 * Upper tail of the standard normal distribution, P(Z > z). Through erfc with the Chebyshev-fitted
 * approximation of Numerical Recipes (fractional error below 1.2e-7 everywhere), so tiny p-values
 * keep their magnitude instead of rounding to 0 as 1 − Φ(z) would.
 */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return 0.5 * erfc(z / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(poly);
  return x >= 0 ? value : 2 - value;
}

/** The normal quantile for an upper-tail probability p (Acklam's algorithm, relative error < 1.2e-9). */
export function normalIsf(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError('normalIsf needs 0 < p < 1');
  return -normalPpf(p);
}

function normalPpf(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const at = (coefficients: number[], x: number) => coefficients.reduce((sum, k) => sum * x + k, 0);
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return at(c, q) / (at(d, q) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -at(c, q) / (at(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (at(a, r) * q) / (at(b, r) * r + 1);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const shifted = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum);
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** Errors out of a number of calls on one side of a comparison. */
export interface Proportion {
  events: number;
  total: number;
}

/**
 * One-sided Fisher exact test: is the event rate of `treatment` higher than that of `control`?
 * Conditional on the margins, the treatment's events are hypergeometric; the p-value is
 * P(X ≥ observed) — SciPy's `fisher_exact([[t_events, t_rest], [c_events, c_rest]], alternative='greater')`.
 * Exact at any size (the terms are summed in log space), so 0 errors against 30 is judged as such.
 */
export function fisherExactGreater(treatment: Proportion, control: Proportion): number {
  assertProportion(treatment, 'treatment');
  assertProportion(control, 'control');
  const population = treatment.total + control.total;
  const events = treatment.events + control.events;
  const draws = treatment.total;
  if (population === 0 || events === 0 || events === population) return 1;
  const logDenominator = logChoose(population, draws);
  const highest = Math.min(events, draws);
  const lowest = Math.max(0, draws - (population - events));
  const logTerm = (k: number) =>
    logChoose(events, k) + logChoose(population - events, draws - k) - logDenominator;
  // Sum P(X = k) for k ≥ observed, scaled by the largest term (no underflow for very small p).
  const terms: number[] = [];
  for (let k = Math.max(treatment.events, lowest); k <= highest; k++) terms.push(logTerm(k));
  if (terms.length === 0) return 0;
  const top = Math.max(...terms);
  const sum = terms.reduce((acc, term) => acc + Math.exp(term - top), 0);
  return Math.min(1, Math.exp(top) * sum);
}

function assertProportion(p: Proportion, name: string): void {
  if (!Number.isInteger(p.events) || !Number.isInteger(p.total) || p.events < 0 || p.events > p.total)
    throw new RangeError(`${name}: events and total must be whole numbers with 0 ≤ events ≤ total`);
}

export interface MannWhitneyResult {
  /** Pairs (treatment, control) where the treatment value is higher; ties count one half. */
  u: number;
  /** u / (n1 · n2): the probability that a treatment value exceeds a control value (ties halved). */
  probabilityGreater: number;
  /** Standardised statistic, with tie and continuity correction. */
  z: number;
  /** One-sided p-value for "treatment is stochastically greater". */
  p: number;
  treatmentSize: number;
  controlSize: number;
}

/**
 * One-sided Mann-Whitney U test (Wilcoxon rank-sum): are treatment values stochastically greater than
 * control values? Normal approximation with tie correction and continuity correction — SciPy's
 * `mannwhitneyu(treatment, control, alternative='greater', method='asymptotic')`. Takes tallies, so a
 * histogram (bucket index as the value) is compared the same way as raw samples: coarse buckets only
 * add ties, which the variance accounts for. When every value ties the test has nothing to go on: p = 1.
 */
export function mannWhitneyGreater(
  treatment: readonly Tally[],
  control: readonly Tally[],
): MannWhitneyResult {
  const n1 = sumCounts(treatment);
  const n2 = sumCounts(control);
  if (n1 === 0 || n2 === 0) throw new RangeError('Mann-Whitney U needs at least one value on each side');
  const values = new Map<number, { treatment: number; control: number }>();
  for (const [side, tallies] of [
    ['treatment', treatment],
    ['control', control],
  ] as const) {
    for (const { value, count } of tallies) {
      if (!Number.isFinite(value)) throw new RangeError('Mann-Whitney U: values must be finite numbers');
      const entry = values.get(value) ?? { treatment: 0, control: 0 };
      entry[side] += count;
      values.set(value, entry);
    }
  }
  const ordered = [...values.entries()].sort(([a], [b]) => a - b);
  let below = 0;
  let rankSum = 0;
  let tieTerm = 0;
  for (const [, { treatment: t, control: c }] of ordered) {
    const tied = t + c;
    // Every member of a tie group gets the group's mid-rank.
    rankSum += t * (below + (tied + 1) / 2);
    tieTerm += tied ** 3 - tied;
    below += tied;
  }
  const total = n1 + n2;
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (total + 1 - tieTerm / (total * (total - 1) || 1));
  let z: number;
  let p: number;
  if (variance <= 0) {
    z = 0;
    p = 1;
  } else {
    const sd = Math.sqrt(variance);
    z = (u - mean - 0.5) / sd;
    p = Math.min(1, normalSf(z));
  }
  return { u, probabilityGreater: u / (n1 * n2), z, p, treatmentSize: n1, controlSize: n2 };
}

/** Raw samples as tallies (one per distinct value). */
export function tallies(values: readonly number[]): Tally[] {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()].map(([value, count]) => ({ value, count }));
}

function sumCounts(list: readonly Tally[]): number {
  let sum = 0;
  for (const { count } of list) {
    if (!Number.isInteger(count) || count < 0) throw new RangeError('counts must be whole numbers ≥ 0');
    sum += count;
  }
  return sum;
}

/**
 * Holm's step-down adjustment: controls the chance of any false alarm across all the checks of a
 * verdict (several hops, errors and latency each) without Bonferroni's loss of power. Returns the
 * adjusted p-values in the input's order (compare each with α).
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const order = pValues.map((p, index) => ({ p, index })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(pValues.length);
  let running = 0;
  order.forEach(({ p, index }, rank) => {
    running = Math.max(running, Math.min(1, (pValues.length - rank) * p));
    adjusted[index] = running;
  });
  return adjusted;
}

/** Sample quantile with linear interpolation between order statistics (NumPy's default, "type 7"). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError('quantile needs 0 ≤ q ≤ 1');
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

/** Wilson's score interval of a proportion, for a normal quantile `z`. */
function wilsonInterval({ events, total }: Proportion, z: number): { lower: number; upper: number } {
  const rate = events / total;
  const z2 = z * z;
  const scale = 1 + z2 / total;
  const center = (rate + z2 / (2 * total)) / scale;
  const half = (z / scale) * Math.sqrt((rate * (1 - rate)) / total + z2 / (4 * total * total));
  return { lower: Math.max(0, center - half), upper: Math.min(1, center + half) };
}

/**
 * The upper confidence bound, one-sided at level `alpha`, of how much higher `treatment`'s rate is
 * than `control`'s: Newcombe's hybrid score interval (method 10 of Newcombe, Statistics in Medicine
 * 1998), built from each side's Wilson interval — sound at small counts and at 0 events, where the
 * normal approximation's interval collapses. Below a tolerance, a rise of that size is ruled out.
 */
export function rateDifferenceUpperBound(treatment: Proportion, control: Proportion, alpha: number): number {
  assertProportion(treatment, 'treatment');
  assertProportion(control, 'control');
  if (treatment.total === 0 || control.total === 0) return Number.POSITIVE_INFINITY;
  const z = normalIsf(alpha);
  const treated = treatment.events / treatment.total;
  const controlled = control.events / control.total;
  const upper = wilsonInterval(treatment, z).upper - treated;
  const lower = controlled - wilsonInterval(control, z).lower;
  return treated - controlled + Math.sqrt(upper * upper + lower * lower);
}

/**
 * Calls needed on each side for a one-sided two-proportion test at level `alpha` to detect a rise
 * from `baseRate` to `baseRate + increase` with probability `power` (the usual normal-approximation
 * formula, Fleiss): how many calls a verdict that cannot tell yet would want, if the PR is as good as stable.
 */
export function sampleSizeForRateIncrease(opts: {
  baseRate: number;
  increase: number;
  alpha: number;
  power: number;
}): number {
  const p0 = Math.min(Math.max(opts.baseRate, 0), 1);
  const p1 = Math.min(p0 + opts.increase, 1);
  if (!(p1 > p0)) return Number.POSITIVE_INFINITY;
  const mean = (p0 + p1) / 2;
  const zAlpha = normalIsf(opts.alpha);
  const zBeta = normalIsf(1 - opts.power);
  const numerator =
    zAlpha * Math.sqrt(2 * mean * (1 - mean)) + zBeta * Math.sqrt(p0 * (1 - p0) + p1 * (1 - p1));
  return Math.ceil((numerator * numerator) / ((p1 - p0) * (p1 - p0)));
}
