import { describe, expect, it } from 'vitest';
import {
  bucketIncrease,
  bucketsOf,
  bucketTallies,
  counterIncrease,
  ExpositionError,
  histogramQuantile,
  parseExposition,
  sumOf,
} from '../src/exposition';

const SCRAPE = `# HELP pr_canary_grpc_server_handled_total gRPC calls completed by this server
# TYPE pr_canary_grpc_server_handled_total counter
pr_canary_grpc_server_handled_total{grpc_service="store.v1.ItemsService",grpc_method="ListItems",grpc_code="OK",track="pr-42",canary="present"} 80
pr_canary_grpc_server_handled_total{grpc_service="store.v1.ItemsService",grpc_method="ListItems",grpc_code="UNAVAILABLE",track="pr-42",canary="present"} 20
pr_canary_grpc_server_handled_total{grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="OK",track="pr-42",canary="absent"} 3
pr_canary_grpc_server_handling_seconds_bucket{le="0.005",grpc_code="OK",canary="present"} 50
pr_canary_grpc_server_handling_seconds_bucket{le="0.01",grpc_code="OK",canary="present"} 90
pr_canary_grpc_server_handling_seconds_bucket{le="+Inf",grpc_code="OK",canary="present"} 100
pr_canary_grpc_server_handling_seconds_bucket{le="0.005",grpc_code="OK",canary="absent"} 7
pr_canary_grpc_server_handling_seconds_bucket{le="0.01",grpc_code="OK",canary="absent"} 7
pr_canary_grpc_server_handling_seconds_bucket{le="+Inf",grpc_code="OK",canary="absent"} 7
odd_label{path="a\\"b\\\\c\\nd"} 1.5e3
nodejs_eventloop_lag_mean_seconds Nan
`;

describe('parseExposition', () => {
  it('reads samples, labels (escapes included) and values as prom-client writes them', () => {
    const samples = parseExposition(SCRAPE);
    expect(samples).toHaveLength(11);
    expect(samples.at(-2)).toEqual({ name: 'odd_label', labels: { path: 'a"b\\c\nd' }, value: 1500 });
    // prom-client writes NaN as `Nan`; Prometheus reads any case.
    expect(samples.at(-1)?.value).toBeNaN();
    expect(sumOf(samples, 'pr_canary_grpc_server_handled_total', { canary: 'present' })).toBe(100);
    expect(
      sumOf(samples, 'pr_canary_grpc_server_handled_total', {
        canary: 'present',
        grpc_code: /UNKNOWN|UNAVAILABLE/,
      }),
    ).toBe(20);
    expect(bucketsOf(samples, 'pr_canary_grpc_server_handling_seconds', { canary: 'present' })).toEqual([
      { le: 0.005, count: 50 },
      { le: 0.01, count: 90 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ]);
  });

  it('anchors regular expressions as PromQL does', () => {
    const samples = parseExposition(SCRAPE);
    expect(sumOf(samples, 'pr_canary_grpc_server_handled_total', { grpc_code: /UNAVAIL/ })).toBe(0);
  });

  it('names the line it cannot read', () => {
    expect(() => parseExposition('ok 1\nnot a sample line at all {')).toThrow(
      new ExpositionError('metrics line 2 is not a sample'),
    );
    expect(() => parseExposition('x{a="1} 2')).toThrow(/line 1 has malformed labels/);
    expect(() => parseExposition('x 12abc')).toThrow(/no number/);
  });
});

describe('histogramQuantile (Prometheus semantics)', () => {
  const buckets = [
    { le: 0.005, count: 50 },
    { le: 0.01, count: 90 },
    { le: 0.025, count: 99 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  it('interpolates inside the bucket that holds the rank, from 0 in the first', () => {
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.005, 12);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.0025, 12);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.0075, 12);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.01 + 0.015 * (5 / 9), 12);
  });
  it('gives the highest finite bound for a rank in +Inf, NaN without data, ±Inf outside [0, 1]', () => {
    expect(histogramQuantile(0.999, buckets)).toBe(0.025);
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 0 },
      ]),
    ).toBeNaN();
    expect(histogramQuantile(0.5, [{ le: 1, count: 3 }])).toBeNaN();
    expect(histogramQuantile(-1, buckets)).toBe(Number.NEGATIVE_INFINITY);
    expect(histogramQuantile(2, buckets)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('increases between scrapes', () => {
  it('subtracts per bucket, and takes the later scrape as is after a restart', () => {
    const before = [
      { le: 0.01, count: 10 },
      { le: Number.POSITIVE_INFINITY, count: 12 },
    ];
    const after = [
      { le: 0.01, count: 15 },
      { le: Number.POSITIVE_INFINITY, count: 20 },
    ];
    expect(bucketIncrease(before, after)).toEqual([
      { le: 0.01, count: 5 },
      { le: Number.POSITIVE_INFINITY, count: 8 },
    ]);
    expect(bucketIncrease(after, before)).toEqual(before);
    expect(counterIncrease(5, 9)).toBe(4);
    expect(counterIncrease(9, 2)).toBe(2);
    expect(bucketTallies(after)).toEqual([
      { value: 0, count: 15 },
      { value: 1, count: 5 },
    ]);
  });
});
