/**
 * The same comparison in a cluster: PromQL over the series the services export, asked of Prometheus'
 * HTTP API (`/api/v1/query`). One builder writes every query (tools/ship-checks parses them with
 * Prometheus' grammar); the answers become the same {@link HopObservation}s a local run measures.
 */
import type { Bucket } from './exposition';
import { METRIC_FAMILIES, type MetricFamily, type Protocol } from './metrics';
import type { HopObservation, SideObservation } from './verdict';

/** Which series one side of a hop is: an instance (namespace + track) and the requests' `canary` label. */
export interface SeriesSide {
  namespace: string;
  track: string;
  canary: 'present' | 'absent';
}

export interface HopQueries {
  calls: string;
  errors: string;
  buckets: string;
}

const WINDOW = /^[1-9][0-9]{0,4}[smh]$/;
const LABEL_VALUE = /^[A-Za-z0-9._-]{1,63}$/;

/** `[window]` must be a plain duration such as `30m`; label values are checked too (they go into the query). */
export function hopQueries(protocol: Protocol, side: SeriesSide, window: string): HopQueries {
  if (!WINDOW.test(window)) throw new RangeError('the window must be a duration such as 30m, 2h or 900s');
  for (const value of [side.namespace, side.track, side.canary])
    if (!LABEL_VALUE.test(value)) throw new RangeError('namespace and track must be Kubernetes-style names');
  const family: MetricFamily = METRIC_FAMILIES[protocol];
  const selector = `namespace="${side.namespace}", track="${side.track}", canary="${side.canary}"`;
  return {
    calls: `sum(increase(${family.requests}{${selector}}[${window}]))`,
    errors: `sum(increase(${family.requests}{${selector}, ${family.errorLabel}=~"${family.errorPattern}"}[${window}]))`,
    buckets: `sum by (le) (increase(${family.duration}_bucket{${selector}}[${window}]))`,
  };
}

/** The instant-vector answer of `/api/v1/query`, as far as these queries need it. */
interface QueryAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

export type PrometheusQuery = (query: string) => Promise<QueryAnswer>;

/** A query function over Prometheus' HTTP API at `baseUrl` (GET /api/v1/query). */
export function prometheusHttp(baseUrl: string, fetchFn: typeof fetch = fetch): PrometheusQuery {
  return async (query) => {
    const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    url.searchParams.set('query', query);
    const response = await fetchFn(url, { headers: { accept: 'application/json' } });
    const body = (await response
      .json()
      .catch(() => ({ status: 'error', error: `HTTP ${response.status}` }))) as QueryAnswer;
    if (!response.ok && body.status !== 'error') return { status: 'error', error: `HTTP ${response.status}` };
    return body;
  };
}

async function vector(
  query: PrometheusQuery,
  text: string,
): Promise<{ metric: Record<string, string>; value: number }[]> {
  const answer = await query(text);
  if (answer.status !== 'success' || !answer.data || answer.data.resultType !== 'vector')
    throw new Error(`Prometheus refused a query: ${answer.error ?? 'not a vector'}`);
  return answer.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** One side of a hop from Prometheus. `increase()` extrapolates, so counts are rounded to whole calls. */
export async function observeSide(
  query: PrometheusQuery,
  protocol: Protocol,
  side: SeriesSide,
  window: string,
): Promise<SideObservation> {
  const q = hopQueries(protocol, side, window);
  const [calls, errors, buckets] = await Promise.all([
    vector(query, q.calls),
    vector(query, q.errors),
    vector(query, q.buckets),
  ]);
  const whole = (list: { value: number }[]) => Math.round(list[0]?.value ?? 0);
  const cumulative: Bucket[] = buckets
    .map((b) => ({
      le: b.metric.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(b.metric.le),
      count: Math.round(b.value),
    }))
    .filter((b) => !Number.isNaN(b.le))
    .sort((a, b) => a.le - b.le);
  const total = whole(calls);
  return {
    track: side.track,
    calls: total,
    errors: Math.min(whole(errors), total),
    latencies: { kind: 'buckets', buckets: cumulative },
  };
}

/**
 * A PR's hops in a cluster: for each service, stable's instances in `apps` against the PR's canary in
 * `<short>-canary-pr-<N>` when it has one there, else against stable's own calls that carried a key
 * (`canary="present"` — any PR's key: the series do not say which).
 */
export async function observeCluster(opts: {
  query: PrometheusQuery;
  pr: string;
  window: string;
  services: readonly { name: string; short: string; protocol: Protocol; hasCanary: boolean }[];
  stableNamespace?: string;
}): Promise<HopObservation[]> {
  const stableNamespace = opts.stableNamespace ?? 'apps';
  return Promise.all(
    opts.services.map(async (service) => {
      const stableSide: SeriesSide = { namespace: stableNamespace, track: 'stable', canary: 'absent' };
      const prSide: SeriesSide = service.hasCanary
        ? { namespace: `${service.short}-canary-pr-${opts.pr}`, track: `pr-${opts.pr}`, canary: 'present' }
        : { namespace: stableNamespace, track: 'stable', canary: 'present' };
      const [stable, pr] = await Promise.all([
        observeSide(opts.query, service.protocol, stableSide, opts.window),
        observeSide(opts.query, service.protocol, prSide, opts.window),
      ]);
      return {
        hop: service.name,
        protocol: service.protocol,
        source: `prometheus ${opts.window}`,
        stable,
        pr,
      };
    }),
  );
}
