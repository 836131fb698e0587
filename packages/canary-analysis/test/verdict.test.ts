import { describe, expect, it } from 'vitest';
import { renderMarkdown, renderText } from '../src/format';
import {
  exitCodeFor,
  type HopObservation,
  judge,
  parseVerdict,
  type SideObservation,
  type Verdict,
} from '../src/verdict';

/** Deterministic latencies: a spread around `center` ms (a fixed pseudo-random walk, no clock). */
function latencies(n: number, center: number, seed = 1): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return center * (0.5 + (x / 2 ** 31) * 1.2);
  });
}

function side(track: string, calls: number, errors: number, ms: number[]): SideObservation {
  return { track, calls, errors, latencies: { kind: 'samples', ms } };
}

function edge(stable: SideObservation, pr: SideObservation): HopObservation {
  return { hop: 'edge', protocol: 'client', source: 'load', stable, pr };
}

/** The test-mode verdict on PR 42 at one edge hop (`now` below). */
function judgePr42(stable: SideObservation, pr: SideObservation) {
  return judge({ pr: '42', mode: 'test', now, hops: [edge(stable, pr)] });
}

const now = new Date('2026-11-29T23:00:00Z');

describe('judge', () => {
  it('fails a PR answering 20 % errors, names the hop, and exits 1', () => {
    const verdict = judgePr42(
      side('stable', 150, 0, latencies(150, 8)),
      side('pr-42', 150, 30, latencies(150, 8, 7)),
    );
    expect(verdict.outcome).toBe('fail');
    expect(verdict.origin).toBe('edge');
    const errors = verdict.hops[0]?.checks.find((c) => c.kind === 'error-rate');
    expect(errors?.outcome).toBe('fail');
    expect(errors?.reason).toContain('20.0 % errors on pr-42 vs 0.0 % on stable');
    expect(errors?.tests[0]?.adjustedP).toBeLessThan(1e-8);
    expect(exitCodeFor(verdict.outcome)).toBe(1);
  });

  it('names the PR side by what served it where the PR runs no canary of the hop (never "stable vs stable")', () => {
    const verdict = judgePr42(
      side('stable', 150, 0, latencies(150, 8)),
      side('stable', 150, 30, latencies(150, 8, 7)),
    );
    const errors = verdict.hops[0]?.checks.find((c) => c.kind === 'error-rate');
    expect(errors?.reason).toContain("20.0 % errors on the PR's calls (served by stable) vs 0.0 % on stable");
    const latency = verdict.hops[0]?.checks.find((c) => c.kind === 'latency');
    expect(latency?.reason).toContain("on the PR's calls (served by stable) vs");
  });

  it('says which hop each doubt is about when several hops cannot tell', () => {
    const few = (track: string) => side(track, 12, 0, latencies(12, 8));
    const verdict = judge({
      pr: '42',
      mode: 'test',
      now,
      hops: [
        edge(few('stable'), few('pr-42')),
        { ...edge(few('stable'), few('stable')), hop: 'api-service' },
      ],
    });
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.summary).toMatch(
      /^Cannot tell whether PR 42 is worse than stable — edge: .+ — api-service: .+/,
    );
  });

  it('fails a PR 100 ms slower, on the latency check', () => {
    const slower = latencies(150, 8, 7).map((v) => v + 100);
    const verdict = judgePr42(side('stable', 150, 0, latencies(150, 8)), side('pr-42', 150, 0, slower));
    const latency = verdict.hops[0]?.checks.find((c) => c.kind === 'latency');
    expect(latency?.outcome).toBe('fail');
    expect(latency?.difference.p99Ms).toBeGreaterThan(90);
    expect(verdict.outcome).toBe('fail');
  });

  it('does not fail p99 on a rank test: a small shift plus two slow calls is "cannot tell"', () => {
    // The faster half of the calls 3 ms slower (the rank test sees it), the tail as stable's but for
    // two calls 200 ms late (the tail test cannot tell two from chance): p99 is over 50 ms, p50 is
    // not — and nothing backs a claim about p99.
    const shifted = latencies(150, 8, 7).map((v, i) => (v < 10 ? v + 3 : v) + (i % 75 === 0 ? 200 : 0));
    const verdict = judgePr42(side('stable', 150, 0, latencies(150, 8)), side('pr-42', 150, 0, shifted));
    const latency = verdict.hops[0]?.checks.find((c) => c.kind === 'latency');
    expect(latency?.tests.find((t) => t.name === 'mann-whitney-u')?.adjustedP).toBeLessThan(0.05);
    expect(latency?.tests.find((t) => t.name === 'p99-tail')?.adjustedP).toBeGreaterThan(0.05);
    expect(latency?.difference.p99Ms).toBeGreaterThan(50);
    expect(latency?.outcome).toBe('inconclusive');
    expect(latency?.reason).not.toMatch(/slower by more than/);
  });

  it('fails a latency rise only when both halves of the run show it', () => {
    const stable = latencies(150, 8);
    const halvesOf = (s: number[], p: number[]) =>
      [
        { stable: side('stable', 75, 0, s.slice(0, 75)), pr: side('pr-42', 75, 0, p.slice(0, 75)) },
        { stable: side('stable', 75, 0, s.slice(75)), pr: side('pr-42', 75, 0, p.slice(75)) },
      ] as const;
    const judgeWithHalves = (pr: number[]) =>
      judge({
        pr: '42',
        mode: 'test',
        now,
        hops: [
          {
            ...edge(side('stable', 150, 0, stable), side('pr-42', 150, 0, pr)),
            halves: halvesOf(stable, pr),
          },
        ],
      });
    const latencyOf = (verdict: Verdict) => verdict.hops[0]?.checks.find((c) => c.kind === 'latency');
    // 100 ms slower throughout: a lasting change.
    const lasting = latencyOf(judgeWithHalves(latencies(150, 8, 7).map((v) => v + 100)));
    expect(lasting?.outcome).toBe('fail');
    expect(lasting?.halves?.every((h) => (h.p50Ms ?? 0) > 90)).toBe(true);
    // Both percentiles rose past their tolerances: the reason names both, not just one.
    expect(lasting?.reason).toMatch(/slower by more than 25 ms at p50 and 50 ms at p99, and not by chance$/);
    // 100 ms slower in the first half only (a process stalled, then caught up): significant over the
    // whole run, yet not a property of the build.
    const stallVerdict = judgeWithHalves(latencies(150, 8, 7).map((v, i) => (i < 75 ? v + 100 : v)));
    const stall = latencyOf(stallVerdict);
    expect(stall?.tests.find((t) => t.name === 'mann-whitney-u')?.adjustedP).toBeLessThan(0.05);
    expect(stall?.outcome).toBe('inconclusive');
    expect(stall?.reason).toMatch(/in one half of the run only/);
    // The headline gives the check's own reason (run again), not one advice for every doubt.
    expect(stallVerdict.outcome).toBe('inconclusive');
    expect(stallVerdict.summary).toMatch(
      /^Cannot tell whether PR 42 is worse than stable — edge: .*in one half of the run only/,
    );
    expect(stallVerdict.summary).not.toContain('run more calls');
    expect(renderText(stallVerdict)).toMatch(/each half, PR − stable: p50 \+\d+(\.\d+)? \/ [+−]\d/);
  });

  it('passes a clean PR with enough calls, and exits 0', () => {
    const verdict = judgePr42(
      side('stable', 150, 0, latencies(150, 8)),
      side('pr-42', 150, 0, latencies(150, 8, 7)),
    );
    expect(verdict.outcome).toBe('pass');
    expect(verdict.origin).toBeNull();
    expect(exitCodeFor(verdict.outcome)).toBe(0);
  });

  it('cannot tell from a handful of calls, even with a visible difference (exit 3)', () => {
    const verdict = judge({
      pr: '7',
      mode: 'test',
      now,
      hops: [edge(side('stable', 10, 0, latencies(10, 8)), side('pr-7', 10, 0, latencies(10, 8, 3)))],
    });
    expect(verdict.outcome).toBe('inconclusive');
    const [errors, latency] = verdict.hops[0]?.checks ?? [];
    expect(errors?.reason).toMatch(
      /too few calls to tell — the PR could be up to \+\d+\.\d % worse \(95\.0 % bound\); ruling out a rise of 5.0 % needs about 120 per side, had 10/,
    );
    expect(verdict.summary).toContain('too few calls to tell');
    const oneError = judge({
      pr: '7',
      mode: 'test',
      hops: [edge(side('stable', 10, 0, latencies(10, 8)), side('pr-7', 10, 1, latencies(10, 8, 3)))],
    });
    expect(oneError.hops[0]?.checks[0]?.reason).toMatch(
      /worse by more than 5.0 %, but too few calls to rule out chance/,
    );
    expect(latency?.reason).toMatch(/too few calls to compare latency: 10 per side/);
    expect(exitCodeFor(verdict.outcome)).toBe(3);
  });

  it('passes on the confidence bound, not a sample size: a clean PR against a stable that fails 22 %', () => {
    // 0 errors in 200 calls against 45 in 200: a rise of 5 points is ruled out however few the calls
    // (Newcombe's bound: 17.8 points better at worst); the power-based size wanted 927 per side.
    const verdict = judgePr42(
      side('stable', 200, 45, latencies(200, 8)),
      side('pr-42', 200, 0, latencies(200, 8, 7)),
    );
    const errors = verdict.hops[0]?.checks.find((c) => c.kind === 'error-rate');
    expect(errors?.outcome).toBe('pass');
    expect(errors?.reason).toBe(
      '0.0 % errors on pr-42 vs 22.5 % on stable: within 5.0 % (-17.8 % at most, 95.0 % bound)',
    );
  });

  it('does not pass what it cannot rule out: 3.5 % errors against a clean stable, 200 calls each', () => {
    const verdict = judgePr42(
      side('stable', 200, 0, latencies(200, 8)),
      side('pr-42', 200, 7, latencies(200, 8, 7)),
    );
    const errors = verdict.hops[0]?.checks.find((c) => c.kind === 'error-rate');
    expect(errors?.outcome).toBe('inconclusive');
    expect(errors?.reason).toMatch(/the PR could be up to \+6\.3 % worse \(95\.0 % bound\); run more calls$/);
    // With five times the calls the same rates are ruled in bounds.
    const more = judgePr42(
      side('stable', 1000, 0, latencies(200, 8)),
      side('pr-42', 1000, 35, latencies(200, 8, 7)),
    );
    expect(more.hops[0]?.checks.find((c) => c.kind === 'error-rate')?.outcome).toBe('pass');
  });

  it('does not fail a small error rise that is within tolerance, however significant', () => {
    const verdict = judgePr42(
      side('stable', 5000, 0, latencies(200, 8)),
      side('pr-42', 5000, 50, latencies(200, 8, 7)),
    );
    const errors = verdict.hops[0]?.checks.find((c) => c.kind === 'error-rate');
    expect(errors?.tests[0]?.adjustedP).toBeLessThan(0.001);
    expect(errors?.outcome).toBe('pass');
  });

  it('judges histograms (per-hop metrics) and reports the Flagger gates on the same numbers', () => {
    const inf = Number.POSITIVE_INFINITY;
    const stableBuckets = [
      { le: 0.005, count: 140 },
      { le: 0.01, count: 150 },
      { le: 0.1, count: 150 },
      { le: 0.25, count: 150 },
      { le: inf, count: 150 },
    ];
    const slowBuckets = [
      { le: 0.005, count: 0 },
      { le: 0.01, count: 0 },
      { le: 0.1, count: 0 },
      { le: 0.25, count: 150 },
      { le: inf, count: 150 },
    ];
    const verdict = judge({
      pr: '42',
      mode: 'test',
      now,
      hops: [
        {
          hop: 'store-service',
          protocol: 'grpc',
          source: 'metrics',
          stable: {
            track: 'stable',
            calls: 150,
            errors: 0,
            latencies: { kind: 'buckets', buckets: stableBuckets },
          },
          pr: { track: 'pr-42', calls: 150, errors: 0, latencies: { kind: 'buckets', buckets: slowBuckets } },
        },
      ],
    });
    const hop = verdict.hops[0];
    expect(hop?.outcome).toBe('fail');
    expect(hop?.pr.p99Ms).toBeCloseTo(248.5, 1);
    expect(hop?.flagger).toEqual([
      { template: 'grpc-error-rate', value: 0, max: 1, unit: '%', pass: true },
      { template: 'grpc-latency-p99', value: hop?.pr.p99Ms, max: 250, unit: 'ms', pass: true },
    ]);
  });

  it('names the deepest failing hop as the origin', () => {
    const bad = side('pr-42', 150, 30, latencies(150, 8, 7));
    const good = side('stable', 150, 0, latencies(150, 8));
    const verdict = judge({
      pr: '42',
      mode: 'test',
      now,
      hops: [
        edge(good, bad),
        { ...edge(good, bad), hop: 'api-service' },
        { ...edge(good, bad), hop: 'store-service' },
      ],
    });
    expect(verdict.origin).toBe('store-service');
    expect(verdict.summary).toMatch(/^PR 42 is worse than stable, starting at store-service: 20.0 % errors/);
  });

  it('refuses nonsense thresholds and counts', () => {
    const ok = side('stable', 10, 0, []);
    expect(() => judge({ pr: '1', mode: 't', hops: [edge(ok, ok)], thresholds: { alpha: 2 } })).toThrow(
      /alpha/,
    );
    expect(() => judge({ pr: '1', mode: 't', hops: [edge(ok, side('pr-1', 3, 4, []))] })).toThrow(/errors/);
  });
});

describe('verdict JSON and text', () => {
  const verdict = judgePr42(
    side('stable', 150, 0, latencies(150, 8)),
    side('pr-42', 150, 30, latencies(150, 8, 7)),
  );

  it('round-trips through JSON and parseVerdict, and refuses other shapes', () => {
    expect(parseVerdict(JSON.parse(JSON.stringify(verdict)))).toEqual(verdict);
    expect(() => parseVerdict({ ...verdict, schema: 'x' })).toThrow(/schema/);
    expect(() => parseVerdict({ ...verdict, pr: '042' })).toThrow(/pr/);
    expect(() => parseVerdict({ ...verdict, hops: [{ hop: 'x' }] })).toThrow(/hop/);
  });

  it('prints one line per hop and check, and a markdown table', () => {
    const text = renderText(verdict);
    expect(text).toMatch(/^FAIL {2}PR 42 is worse than stable/);
    expect(text).toContain('error-rate FAIL');
    expect(text).toContain('fisher-exact p=<0.0001');
    expect(renderMarkdown(verdict)).toContain('| edge | ❌ fail | 20.0 % vs 0.0 % |');
  });

  it("names each side's line by its side, and says when stable serves the PR's side", () => {
    const text = renderText(verdict);
    expect(text).toMatch(/^ {4}stable +150 calls/m);
    expect(text).toMatch(/^ {4}pr-42 +150 calls/m);
    const noCanary = judgePr42(
      side('stable', 150, 0, latencies(150, 8)),
      side('stable', 150, 0, latencies(150, 8)),
    );
    const lines = renderText(noCanary).split('\n');
    const stableLine = lines.find((line) => /^ {4}stable /.test(line)) ?? '';
    const prLine = lines.find((line) => /^ {4}pr-42 \(stable\) +150 calls/.test(line)) ?? '';
    expect(prLine).not.toBe('');
    // The figures stand in the same columns on both lines, however long the PR side's name.
    expect(prLine.indexOf('calls')).toBe(stableLine.indexOf('calls'));
    expect(prLine.indexOf('errors')).toBe(stableLine.indexOf('errors'));
  });
});
