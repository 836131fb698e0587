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

/**
 * The calls of the last `[window]`, or of the `[window]` that ended `offset` ago. Both must be plain
 * durations such as `30m`; label values are checked too (they go into the query).
 */
export function hopQueries(
  protocol: Protocol,
  side: SeriesSide,
  window: string,
  offset?: string,
): HopQueries {
  for (const duration of offset === undefined ? [window] : [window, offset])
    if (!WINDOW.test(duration)) throw new RangeError('the window must be a duration such as 30m, 2h or 900s');
  for (const value of [side.namespace, side.track, side.canary])
    if (!LABEL_VALUE.test(value)) throw new RangeError('namespace and track must be Kubernetes-style names');
  const family: MetricFamily = METRIC_FAMILIES[protocol];
  const selector = `namespace="${side.namespace}", track="${side.track}", canary="${side.canary}"`;
  const range = offset === undefined ? `[${window}]` : `[${window}] offset ${offset}`;
  return {
    calls: `sum(increase(${family.requests}{${selector}}${range}))`,
    errors: `sum(increase(${family.requests}{${selector}, ${family.errorLabel}=~"${family.errorPattern}"}${range}))`,
    buckets: `sum by (le) (increase(${family.duration}_bucket{${selector}}${range}))`,
  };
}

/** Windows shorter than this are not split in halves: a half would hold too few scrapes to count on. */
export const MIN_SPLIT_WINDOW_SECONDS = 120;

const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3600 } as const;

/** Half of a window such as `30m` as whole seconds (`900s`), or undefined when it is too short to split. */
export function halfWindow(window: string): string | undefined {
  if (!WINDOW.test(window)) throw new RangeError('the window must be a duration such as 30m, 2h or 900s');
  const seconds = Number(window.slice(0, -1)) * SECONDS_PER_UNIT[window.slice(-1) as 's' | 'm' | 'h'];
  return seconds < MIN_SPLIT_WINDOW_SECONDS ? undefined : `${Math.floor(seconds / 2)}s`;
}

/** The instant-vector answer of `/api/v1/query`, as far as these queries need it. */
interface QueryAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

export type PrometheusQuery = (query: string) => Promise<QueryAnswer>;

/**
 * What went wrong talking to Prometheus, in a sentence: nothing answering at the address (or not in
 * time: `unreachable`), or an answer that is not a query result (not Prometheus, or its refusal:
 * `refused`). The message carries the server's own error text as it came: clean it for a terminal.
 */
export class PrometheusError extends Error {
  override name = 'PrometheusError';

  constructor(
    readonly kind: 'unreachable' | 'refused',
    message: string,
  ) {
    super(message);
  }
}

/** How long one query may take before Prometheus counts as not answering. */
export const PROMETHEUS_TIMEOUT_MS = 30_000;

/** Why an answer is no instant vector (Prometheus' own error, else what it is not); undefined when it is one. */
function notAVector(answer: QueryAnswer): string | undefined {
  if (answer.status === 'success' && answer.data?.resultType === 'vector') return undefined;
  return typeof answer.error === 'string' ? answer.error : 'not a query result';
}

/**
 * A query function over Prometheus' HTTP API at `baseUrl` (GET /api/v1/query); every failure is a
 * {@link PrometheusError} naming `baseUrl`.
 */
export function prometheusHttp(
  baseUrl: string,
  fetchFn: typeof fetch = fetch,
  timeoutMs = PROMETHEUS_TIMEOUT_MS,
): PrometheusQuery {
  return async (query) => {
    const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    url.searchParams.set('query', query);
    const response = await fetchFn(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((error: unknown) => {
      const cause = (error as { cause?: { code?: unknown } }).cause?.code;
      const why =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${timeoutMs / 1000} s`
          : typeof cause === 'string'
            ? cause
            : 'unreachable';
      throw new PrometheusError('unreachable', `no Prometheus answers at ${baseUrl} (${why})`);
    });
    const body = (await response
      .json()
      .catch(() => ({ status: 'error', error: `HTTP ${response.status}` }))) as QueryAnswer;
    const answer: QueryAnswer =
      !response.ok && body.status !== 'error' ? { status: 'error', error: `HTTP ${response.status}` } : body;
    const why = notAVector(answer);
    if (why !== undefined)
      throw new PrometheusError('refused', `${baseUrl} did not answer a Prometheus query: ${why}`);
    return answer;
  };
}

async function vector(
  query: PrometheusQuery,
  text: string,
): Promise<{ metric: Record<string, string>; value: number }[]> {
  const answer = await query(text);
  const why = notAVector(answer);
  if (why !== undefined || !answer.data)
    throw new PrometheusError('refused', `Prometheus refused a query: ${why ?? 'not a query result'}`);
  return answer.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** One side of a hop from Prometheus. `increase()` extrapolates, so counts are rounded to whole calls. */
export async function observeSide(
  query: PrometheusQuery,
  protocol: Protocol,
  side: SeriesSide,
  window: string,
  offset?: string,
): Promise<SideObservation> {
  const q = hopQueries(protocol, side, window, offset);
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
 * (`canary="present"` — any PR's key: the series do not say which). Over the whole window and, when
 * it is long enough, over each half of it (the verdict fails latency only on a rise in both).
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
      const observe = async (window: string, offset?: string) => {
        const [stable, pr] = await Promise.all([
          observeSide(opts.query, service.protocol, stableSide, window, offset),
          observeSide(opts.query, service.protocol, prSide, window, offset),
        ]);
        return { stable, pr };
      };
      const half = halfWindow(opts.window);
      const [whole, halves] = await Promise.all([
        observe(opts.window),
        half === undefined ? undefined : Promise.all([observe(half, half), observe(half)] as const),
      ]);
      return {
        hop: service.name,
        protocol: service.protocol,
        source: `prometheus ${opts.window}`,
        ...whole,
        ...(halves ? { halves } : {}),
      };
    }),
  );
}
