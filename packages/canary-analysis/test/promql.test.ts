import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  halfWindow,
  hopQueries,
  observeCluster,
  PrometheusError,
  type PrometheusQuery,
  prometheusHttp,
} from '../src/promql';

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

  it('splits a window of 2 minutes or more in halves of whole seconds, and no shorter one', () => {
    expect(halfWindow('30m')).toBe('900s');
    expect(halfWindow('2h')).toBe('3600s');
    expect(halfWindow('125s')).toBe('62s');
    expect(halfWindow('119s')).toBeUndefined();
    expect(halfWindow('1m')).toBeUndefined();
    expect(() => halfWindow('5d')).toThrow(/window/);
  });

  it('refuses a window or label value that could change the query', () => {
    const side = { namespace: 'apps', track: 'stable', canary: 'absent' as const };
    expect(() => hopQueries('http', side, '30m]) or vector(1')).toThrow(/window/);
    expect(() => hopQueries('http', { ...side, namespace: 'a"}' }, '5m')).toThrow(/names/);
    expect(() => hopQueries('http', side, '5m', '5m] or vector(1')).toThrow(/window/);
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
    // Three queries a side over the whole window, and over each half: the last 15 minutes and the
    // 15 before them.
    expect(asked).toHaveLength(18);
    expect(asked.filter((q) => q.includes('[30m]'))).toHaveLength(6);
    expect(asked.filter((q) => q.includes('[900s] offset 900s'))).toHaveLength(6);
    expect(asked.filter((q) => q.includes('[900s])'))).toHaveLength(6);
    expect(hop?.halves?.map((half) => half.pr.calls)).toEqual([100, 100]);
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

describe('prometheusHttp (a real HTTP server)', () => {
  /** A server answering every request with `answer` (none: it never answers); closed after the test. */
  async function serve(answer?: { status: number; body: string }): Promise<string> {
    const server = http.createServer((_req, res) => {
      if (answer) res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    onTestFinished(() => {
      server.closeAllConnections();
      server.close();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function failure(query: Promise<unknown>): Promise<PrometheusError> {
    const error = await query.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(PrometheusError);
    return error as PrometheusError;
  }

  it('returns an instant vector Prometheus answered', async () => {
    const vector = { status: 'success', data: { resultType: 'vector', result: [] } };
    const base = await serve({ status: 200, body: JSON.stringify(vector) });
    expect(await prometheusHttp(base)('up')).toEqual(vector);
  });

  it('says in a sentence that nothing answers, naming the address and why', async () => {
    const closing = http.createServer();
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    const closed = `http://127.0.0.1:${(closing.address() as AddressInfo).port}`;
    await new Promise((resolve) => closing.close(resolve));
    expect(await failure(prometheusHttp(closed)('up'))).toMatchObject({
      kind: 'unreachable',
      message: `no Prometheus answers at ${closed} (ECONNREFUSED)`,
    });
    const silent = await serve();
    expect(await failure(prometheusHttp(silent, fetch, 50)('up'))).toMatchObject({
      kind: 'unreachable',
      message: `no Prometheus answers at ${silent} (no answer within 0.05 s)`,
    });
  });

  it('says that a server is not Prometheus, or passes on what Prometheus refused', async () => {
    const notPrometheus = await serve({ status: 404, body: '{"code":"ROUTE_NOT_FOUND"}' });
    expect(await failure(prometheusHttp(notPrometheus)('up'))).toMatchObject({
      kind: 'refused',
      message: `${notPrometheus} did not answer a Prometheus query: HTTP 404`,
    });
    const html = await serve({ status: 200, body: '<html>' });
    expect((await failure(prometheusHttp(html)('up'))).message).toBe(
      `${html} did not answer a Prometheus query: HTTP 200`,
    );
    const refusing = await serve({ status: 400, body: '{"status":"error","error":"parse error at char 3"}' });
    expect((await failure(prometheusHttp(refusing)('up('))).message).toBe(
      `${refusing} did not answer a Prometheus query: parse error at char 3`,
    );
  });
});
