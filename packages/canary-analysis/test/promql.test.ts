import { describe, expect, it } from 'vitest';
import { hopQueries, observeCluster, type PrometheusQuery } from '../src/promql';

describe('hopQueries', () => {
  it('writes the increase of the same series Flagger and Grafana read', () => {
    const q = hopQueries(
      'grpc',
      { namespace: 'store-canary-pr-42', track: 'pr-42', canary: 'present' },
      '30m',
    );
    expect(q.calls).toBe(
      'sum(increase(pr_canary_grpc_server_handled_total{namespace="store-canary-pr-42", track="pr-42", canary="present"}[30m]))',
    );
    expect(q.errors).toContain(
      'grpc_code=~"UNKNOWN|INTERNAL|UNAVAILABLE|DEADLINE_EXCEEDED|DATA_LOSS|UNIMPLEMENTED"',
    );
    expect(q.buckets).toMatch(/^sum by \(le\) \(increase\(pr_canary_grpc_server_handling_seconds_bucket\{/);
  });

  it('refuses a window or label value that could change the query', () => {
    const side = { namespace: 'apps', track: 'stable', canary: 'absent' as const };
    expect(() => hopQueries('http', side, '30m]) or vector(1')).toThrow(/window/);
    expect(() => hopQueries('http', { ...side, namespace: 'a"}' }, '5m')).toThrow(/names/);
  });
});

describe('observeCluster', () => {
  it('turns instant vectors into hop observations (PR canary namespace vs stable in apps)', async () => {
    const asked: string[] = [];
    const query: PrometheusQuery = async (text) => {
      asked.push(text);
      const pr = text.includes('store-canary-pr-42');
      const value = (v: number, metric: Record<string, string> = {}) => ({
        metric,
        value: [0, String(v)] as [number, string],
      });
      const result = text.startsWith('sum by (le)')
        ? [value(pr ? 0 : 95, { le: '0.005' }), value(pr ? 100.4 : 100, { le: '+Inf' })]
        : text.includes('grpc_code')
          ? [value(pr ? 20.2 : 0)]
          : [value(pr ? 100.4 : 100)];
      return { status: 'success', data: { resultType: 'vector', result } };
    };
    const [hop] = await observeCluster({
      query,
      pr: '42',
      window: '30m',
      services: [{ name: 'store-service', short: 'store', protocol: 'grpc', hasCanary: true }],
    });
    expect(asked).toHaveLength(6);
    expect(hop?.pr).toEqual({
      track: 'pr-42',
      calls: 100,
      errors: 20,
      latencies: {
        kind: 'buckets',
        buckets: [
          { le: 0.005, count: 0 },
          { le: Number.POSITIVE_INFINITY, count: 100 },
        ],
      },
    });
    expect(hop?.stable.track).toBe('stable');
  });

  it('says what Prometheus refused', async () => {
    const query: PrometheusQuery = async () => ({ status: 'error', error: 'parse error' });
    await expect(
      observeCluster({
        query,
        pr: '7',
        window: '5m',
        services: [{ name: 'api-service', short: 'api', protocol: 'http', hasCanary: false }],
      }),
    ).rejects.toThrow(/Prometheus refused a query: parse error/);
  });
});
