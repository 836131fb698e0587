import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createServiceMetrics, DURATION_BUCKETS, KeyedHistogram } from '../src/metrics';

const identity = { service: 'api-service', track: 'stable', version: '1.0.0' } as const;

/** Every sample line of `name` as `{labels} value`. */
function samples(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .map((line) => line.slice(name.length));
}

describe('request counters', () => {
  it('count every request once per label set, scrape after scrape (each is its histogram’s _count)', async () => {
    const metrics = createServiceMetrics({ identity });
    const ok = { method: 'GET', route: '/api/route', statusCode: 200, canary: 'absent' } as const;
    for (let i = 0; i < 3; i++) metrics.recordHttpRequest({ ...ok, seconds: 0.001 });
    metrics.recordHttpRequest({ ...ok, statusCode: 503, canary: 'present', seconds: 0.2 });
    metrics.recordGrpcClientCall({
      service: 'grpc.health.v1.Health',
      method: 'Check',
      code: 'OK',
      seconds: 0.01,
    });

    const expected = [
      '{method="GET",route="/api/route",status_code="200",track="stable",canary="absent"} 3',
      '{method="GET",route="/api/route",status_code="503",track="stable",canary="present"} 1',
    ];
    for (let scrape = 0; scrape < 2; scrape++) {
      const text = await metrics.registry.metrics();
      expect(samples(text, 'pr_canary_http_requests_total')).toEqual(expected);
      expect(samples(text, 'pr_canary_http_request_duration_seconds_count')).toEqual(expected);
      expect(samples(text, 'pr_canary_grpc_client_handled_total')).toEqual([
        '{grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="OK",track="stable"} 1',
      ]);
      expect(text).toContain('# TYPE pr_canary_http_requests_total counter');
    }
    metrics.recordHttpRequest({ ...ok, seconds: 0.001 });
    expect(samples(await metrics.registry.metrics(), 'pr_canary_http_requests_total')[0]).toMatch(/ 4$/);
  });
});

describe('default metrics (prom-client required part by part, src/prom-client-parts.ts)', () => {
  /** Name, type and help of every metric in a registry, in scrape order. */
  const shapes = async (registry: Registry) =>
    (await registry.getMetricsAsJSON()).map(({ name, type, help }) => ({ name, type, help }));

  it('are every one prom-client’s own collectDefaultMetrics registers, alike and in the same order', async () => {
    const own = createServiceMetrics({ identity });
    const promClients = new Registry();
    collectDefaultMetrics({ register: promClients, eventLoopMonitoringPrecision: 1000 });
    const expected = await shapes(promClients);
    expect(expected.length).toBeGreaterThan(10);
    const defaults = (await shapes(own.registry)).filter(({ name }) => !name.startsWith('pr_canary_'));
    expect(defaults).toEqual(expected);
  });

  it('count the process’s CPU seconds, user + system = total', async () => {
    const before = process.cpuUsage();
    const own = createServiceMetrics({ identity });
    // Spend 30 ms of user CPU after the counters started (CPU spent, not time passed: on a busy machine
    // a process can wait out any wall-clock span without running).
    const started = process.cpuUsage();
    while (process.cpuUsage(started).user < 30_000);
    const text = await own.registry.metrics();
    const spent = process.cpuUsage(before);
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const user = value('process_cpu_user_seconds_total');
    const system = value('process_cpu_system_seconds_total');
    expect(user).toBeGreaterThan(0.03);
    expect(user).toBeLessThanOrEqual(spent.user / 1e6);
    expect(system).toBeLessThanOrEqual(spent.system / 1e6);
    expect(value('process_cpu_seconds_total')).toBeCloseTo(user + system, 6);
  });
});

describe('KeyedHistogram', () => {
  it('is scraped exactly as prom-client’s Histogram with the same observations (text and JSON)', async () => {
    const definition = { name: 'pr_canary_test_seconds', help: 'A test histogram' };
    const labelNames = ['method', 'route', 'track'];
    const reference = new Registry();
    const theirs = new Histogram({
      ...definition,
      labelNames,
      buckets: [...DURATION_BUCKETS],
      registers: [reference],
    });
    const registry = new Registry();
    const ours = new KeyedHistogram(definition, registry);
    const sets = [
      { method: 'GET', route: '/healthz', track: 'stable' },
      { method: 'POST', route: '/api/items', track: 'stable' },
    ];
    // Every bucket bound exactly, between bounds, below the first and above the last.
    const values = [0, 0.001, ...DURATION_BUCKETS, 0.007, 0.3, 3, 11, 120];
    values.forEach((seconds, i) => {
      const labels = sets[i % sets.length] as (typeof sets)[number];
      theirs.observe(labels, seconds);
      const key = [labels.method, labels.route, 0, ''] as const;
      (ours.series(...key) ?? ours.addSeries(key, labels)).observe(seconds);
    });

    expect(await registry.metrics()).toBe(await reference.metrics());
    // As JSON text: prom-client leaves an `exemplar: undefined` on each of its samples.
    const json = async (r: Registry) => JSON.parse(JSON.stringify(await r.getMetricsAsJSON()));
    expect(await json(registry)).toStrictEqual(await json(reference));
    registry.resetMetrics();
    reference.resetMetrics();
    expect(await registry.metrics()).toBe(await reference.metrics());
  });

  it('leaves out a value that is not a number instead of throwing in the request it measures', async () => {
    const registry = new Registry();
    const histogram = new KeyedHistogram({ name: 'pr_canary_test_seconds', help: 'x' }, registry);
    const series = histogram.addSeries(['k', '', 0, ''], { route: '/r' });
    series.observe(Number.NaN);
    series.observe(Number.POSITIVE_INFINITY);
    series.observe(0.2);
    expect(samples(await registry.metrics(), 'pr_canary_test_seconds_count')).toEqual(['{route="/r"} 1']);
  });
});
