/**
 * The Prometheus text exposition format (what every service's `/metrics` answers), read into samples,
 * and the two operations a verdict needs on them: the difference of two scrapes (what happened while
 * the load ran) and Prometheus' `histogram_quantile` on cumulative buckets.
 */

export interface MetricSample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

export class ExpositionError extends Error {
  override name = 'ExpositionError';
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;

/** Parses text format 0.0.4; comments and blank lines are skipped; a malformed line is an error naming its number. */
export function parseExposition(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new ExpositionError(`metrics line ${index + 1} is not a sample`);
    const value = parseValue(match[4] as string);
    if (value === undefined)
      throw new ExpositionError(`metrics line ${index + 1} has no number as its value`);
    samples.push({ name: match[1] as string, labels: parseLabels(match[3] ?? '', index + 1), value });
  });
  return samples;
}

/** Like Prometheus' (Go's ParseFloat): NaN and Inf in any case — prom-client writes `Nan`. */
function parseValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

function parseLabels(text: string, lineNumber: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  const fail = () => new ExpositionError(`metrics line ${lineNumber} has malformed labels`);
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (i >= text.length) break;
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!nameMatch) throw fail();
    const name = nameMatch[0];
    i += name.length;
    if (text[i] !== '=' || text[i + 1] !== '"') throw fail();
    i += 2;
    let value = '';
    for (;;) {
      const ch = text[i];
      if (ch === undefined) throw fail();
      i++;
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[i++];
        value += next === 'n' ? '\n' : (next ?? '');
      } else value += ch;
    }
    labels[name] = value;
  }
  return labels;
}

/** Whether every given label matches: a string exactly, a RegExp fully (as PromQL's `=~`), a set by membership. */
export type LabelMatcher = string | RegExp | ReadonlySet<string>;

export function matches(
  labels: Readonly<Record<string, string>>,
  matchers: Readonly<Record<string, LabelMatcher>>,
): boolean {
  for (const [name, matcher] of Object.entries(matchers)) {
    const value = labels[name] ?? '';
    if (typeof matcher === 'string') {
      if (value !== matcher) return false;
    } else if (matcher instanceof RegExp) {
      const full = new RegExp(`^(?:${matcher.source})$`);
      if (!full.test(value)) return false;
    } else if (!matcher.has(value)) return false;
  }
  return true;
}

/** Sum of every sample of `name` whose labels match. */
export function sumOf(
  samples: readonly MetricSample[],
  name: string,
  matchers: Readonly<Record<string, LabelMatcher>> = {},
): number {
  let sum = 0;
  for (const sample of samples)
    if (sample.name === name && matches(sample.labels, matchers)) sum += sample.value;
  return sum;
}

/** One cumulative bucket: how many observations were ≤ `le` (seconds for our histograms). */
export interface Bucket {
  le: number;
  count: number;
}

/** The cumulative buckets of histogram `base` (its `_bucket` series), summed over matching series, by `le`. */
export function bucketsOf(
  samples: readonly MetricSample[],
  base: string,
  matchers: Readonly<Record<string, LabelMatcher>> = {},
): Bucket[] {
  const byLe = new Map<number, number>();
  for (const sample of samples) {
    if (sample.name !== `${base}_bucket` || !matches(sample.labels, matchers)) continue;
    const le = parseValue(sample.labels.le ?? '');
    if (le === undefined || Number.isNaN(le)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + sample.value);
  }
  return [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/**
 * The buckets of `after` minus those of `before` (counters only grow, so this is what was observed in
 * between; a bucket that shrank means the process restarted, and the later scrape is taken as is).
 */
export function bucketIncrease(before: readonly Bucket[], after: readonly Bucket[]): Bucket[] {
  const earlier = new Map(before.map((bucket) => [bucket.le, bucket.count]));
  const restarted = after.some((bucket) => bucket.count < (earlier.get(bucket.le) ?? 0));
  return after.map(({ le, count }) => ({ le, count: restarted ? count : count - (earlier.get(le) ?? 0) }));
}

/** Counter increase between two scrapes (a decrease means a restart: the later value is the increase). */
export function counterIncrease(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/**
 * Prometheus' `histogram_quantile(q, …)` on cumulative buckets (promql/quantile.go): the rank q·total is
 * located in its bucket and interpolated linearly between the bucket's bounds (the first bucket starts
 * at 0); a rank in the +Inf bucket gives the highest finite bound. NaN without observations.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const last = sorted[sorted.length - 1];
  if (sorted.length < 2 || !last || last.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  const total = last.count;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let index = sorted.findIndex((bucket) => bucket.count >= rank);
  if (index === -1) index = sorted.length - 1;
  if (index === sorted.length - 1) return (sorted[sorted.length - 2] as Bucket).le;
  const bucket = sorted[index] as Bucket;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  const lowerBound = index === 0 ? 0 : (sorted[index - 1] as Bucket).le;
  const below = index === 0 ? 0 : (sorted[index - 1] as Bucket).count;
  const inBucket = bucket.count - below;
  if (inBucket === 0) return bucket.le;
  return lowerBound + (bucket.le - lowerBound) * ((rank - below) / inBucket);
}

/** Cumulative buckets as per-bucket tallies (value = bucket index), for the Mann-Whitney test. */
export function bucketTallies(buckets: readonly Bucket[]): { value: number; count: number }[] {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  return sorted.map((bucket, index) => ({
    value: index,
    count: bucket.count - (index === 0 ? 0 : (sorted[index - 1] as Bucket).count),
  }));
}
