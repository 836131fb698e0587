import { describe, expect, it } from 'vitest';
import {
  fisherExactGreater,
  holmAdjust,
  logGamma,
  mannWhitneyGreater,
  normalIsf,
  normalSf,
  quantile,
  rateDifferenceUpperBound,
  sampleSizeForRateIncrease,
  tallies,
} from '../src/stats';

// Reference values: SciPy 1.17 (scipy.stats.fisher_exact, mannwhitneyu method='asymptotic', norm.sf/isf,
// scipy.special.gammaln) and NumPy's quantile; the inputs are repeated here so anyone can re-run them.

describe('normal distribution', () => {
  it('matches SciPy norm.sf in the body and far in the tail (relative error < 1e-6)', () => {
    for (const [z, expected] of [
      [1.0, 0.15865525393145707],
      [5.0, 2.866515718791933e-7],
      [-2.0, 0.9772498680518208],
      [8.0, 6.22096057427174e-16],
    ] as const) {
      expect(Math.abs(normalSf(z) - expected) / expected).toBeLessThan(1e-6);
    }
  });

  it('matches SciPy norm.isf', () => {
    expect(normalIsf(0.05)).toBeCloseTo(1.6448536269514729, 7);
    expect(normalIsf(0.2)).toBeCloseTo(0.8416212335729142, 7);
    expect(normalIsf(1e-6)).toBeCloseTo(4.753424308822899, 6);
    expect(() => normalIsf(0)).toThrow(RangeError);
  });

  it('logGamma matches scipy.special.gammaln', () => {
    expect(logGamma(0.5)).toBeCloseTo(0.5723649429247, 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
  });
});

describe('fisherExactGreater', () => {
  it.each([
    [{ events: 30, total: 150 }, { events: 0, total: 150 }, 1.8591249817556147e-10],
    [{ events: 3, total: 10 }, { events: 1, total: 12 }, 0.22556390977443608],
    [{ events: 2, total: 150 }, { events: 1, total: 150 }, 0.5],
    [{ events: 0, total: 20 }, { events: 5, total: 20 }, 1.0],
    [{ events: 1000, total: 5000 }, { events: 900, total: 5000 }, 0.005801919794461502],
    [{ events: 7, total: 7 }, { events: 0, total: 7 }, 0.0002913752913752914],
  ])('%o against %o → p %d (SciPy alternative="greater")', (treatment, control, expected) => {
    const p = fisherExactGreater(treatment, control);
    expect(Math.abs(p - expected) / expected).toBeLessThan(1e-9);
  });

  it('has nothing to go on without events (p = 1) and refuses impossible counts', () => {
    expect(fisherExactGreater({ events: 0, total: 100 }, { events: 0, total: 100 })).toBe(1);
    expect(() => fisherExactGreater({ events: 5, total: 4 }, { events: 0, total: 1 })).toThrow(/events/);
    expect(() => fisherExactGreater({ events: 0.5, total: 4 }, { events: 0, total: 1 })).toThrow(RangeError);
  });
});

describe('mannWhitneyGreater', () => {
  // scipy.stats.mannwhitneyu(treatment, control, alternative='greater', method='asymptotic'); the last
  // case is the one before it with the sides swapped.
  it.each([
    {
      name: 'without ties',
      treatment: [1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8, 9.9, 10.5, 11.2, 12.9],
      control: [0.5, 1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0],
      u: 96,
      p: 0.009621218469853973,
    },
    {
      name: 'with many ties',
      treatment: [1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 5, 5],
      control: [1, 1, 1, 2, 2, 2, 2, 3, 3, 4],
      u: 83.5,
      p: 0.059392303233746405,
    },
    {
      name: 'with many ties, the other way round',
      treatment: [1, 1, 1, 2, 2, 2, 2, 3, 3, 4],
      control: [1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 5, 5],
      u: 36.5,
      p: 0.9482075379497841,
    },
  ])('matches SciPy $name', ({ treatment, control, u, p }) => {
    const result = mannWhitneyGreater(tallies(treatment), tallies(control));
    expect(result.u).toBe(u);
    expect(result.p).toBeCloseTo(p, 8);
    expect(result.probabilityGreater).toBeCloseTo(u / (treatment.length * control.length), 12);
  });

  it('compares histogram buckets as tied values: 100 calls one bucket higher are clearly slower', () => {
    const stable = [
      { value: 0, count: 90 },
      { value: 1, count: 10 },
    ];
    const pr = [{ value: 3, count: 100 }];
    const result = mannWhitneyGreater(pr, stable);
    expect(result.probabilityGreater).toBe(1);
    expect(result.p).toBeLessThan(1e-30);
  });

  it('says p = 1 when every value ties, and refuses an empty side', () => {
    expect(mannWhitneyGreater([{ value: 0, count: 50 }], [{ value: 0, count: 50 }]).p).toBe(1);
    expect(() => mannWhitneyGreater([], [{ value: 1, count: 1 }])).toThrow(RangeError);
    expect(() => mannWhitneyGreater([{ value: Number.NaN, count: 1 }], [{ value: 1, count: 1 }])).toThrow(
      /finite/,
    );
  });
});

describe('holmAdjust', () => {
  it('steps down as in R p.adjust(method = "holm")', () => {
    expect(holmAdjust([0.01, 0.04, 0.03, 0.005])).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(holmAdjust([0.5, 0.9])).toEqual([1, 1]);
    expect(holmAdjust([])).toEqual([]);
  });
});

describe('quantile', () => {
  it('interpolates like NumPy', () => {
    expect(quantile([1, 2, 3, 4, 10], 0.99)).toBeCloseTo(9.76, 12);
    expect(quantile([1, 3, 5], 0.5)).toBe(3);
    expect(
      quantile(
        Array.from({ length: 150 }, (_, i) => i + 1),
        0.99,
      ),
    ).toBeCloseTo(148.51, 12);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('rateDifferenceUpperBound', () => {
  it("gives Newcombe's hybrid score bound (his 1998 paper's Table II, method 10, 95 % two-sided)", () => {
    expect(rateDifferenceUpperBound({ events: 56, total: 70 }, { events: 48, total: 80 }, 0.025)).toBeCloseTo(
      0.3339,
      4,
    );
    expect(rateDifferenceUpperBound({ events: 9, total: 10 }, { events: 3, total: 10 }, 0.025)).toBeCloseTo(
      0.809,
      4,
    );
    expect(rateDifferenceUpperBound({ events: 5, total: 56 }, { events: 0, total: 29 }, 0.025)).toBeCloseTo(
      0.1926,
      4,
    );
    // 0 events on both sides: the bound is the treatment's own Wilson bound, not 0.
    expect(rateDifferenceUpperBound({ events: 0, total: 200 }, { events: 0, total: 200 }, 0.05)).toBeCloseTo(
      0.0133,
      4,
    );
    expect(rateDifferenceUpperBound({ events: 0, total: 0 }, { events: 0, total: 9 }, 0.05)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});

describe('sampleSizeForRateIncrease', () => {
  it('gives the Fleiss normal-approximation size', () => {
    // (1.6449·√(2·0.025·0.975) + 0.8416·√(0.05·0.95))² / 0.05² = 119.5… → 120
    expect(sampleSizeForRateIncrease({ baseRate: 0, increase: 0.05, alpha: 0.05, power: 0.8 })).toBe(120);
    expect(sampleSizeForRateIncrease({ baseRate: 0, increase: 0, alpha: 0.05, power: 0.8 })).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});
