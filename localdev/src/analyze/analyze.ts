/**
 * `pr-canary analyze` on the local stack: scrape every instance on PR N's path and stable's, drive the
 * bounded load in two halves with a scrape after each, and judge each hop — the edge from the load's
 * own timings, each service from the increase of its `pr_canary_*` series (the ones Flagger and
 * Grafana read) — over the whole run and over each half, so that a stall of one process in one half
 * is not taken for a slower build.
 */
import {
  bucketIncrease,
  bucketsOf,
  counterIncrease,
  type HalfObservation,
  isHttpError,
  type LabelMatcher,
  METRIC_FAMILIES,
  type MetricSample,
  type Protocol,
  parseExposition,
  type SideObservation,
  sumOf,
  type Thresholds,
  type Verdict,
} from '@pr-canary/canary-analysis';
import { type Call, driveLoad, LOAD_PATHS } from './load';
import { judgeReached, type ServiceHop } from './reached';

/** An instance of the running stack as its control endpoint lists it. */
export interface InstanceEndpoint {
  service: string;
  track: string;
  metricsPort: number | null;
  state: string;
}

/** The services on the request path, in path order, and which of their series the load exercises. */
export interface PathService {
  name: string;
  protocol: Protocol;
  /** Only these calls count (the load's own; not health probes). */
  filter: Readonly<Record<string, LabelMatcher>>;
}

export interface AnalyzeOptions {
  url: string;
  pr: string;
  requests: number;
  concurrency: number;
  instances: readonly InstanceEndpoint[];
  path: readonly PathService[];
  thresholds?: Partial<Thresholds>;
}

/** Requests per side sent, and not judged, before the measured load. */
const WARM_UP_REQUESTS = 10;

export class AnalyzeError extends Error {
  override name = 'AnalyzeError';
}

export async function analyzeLocal(opts: AnalyzeOptions): Promise<Verdict> {
  const track = `pr-${opts.pr}`;
  const sides = opts.path.map((service) => {
    const stable = running(opts.instances, service.name, 'stable');
    if (!stable) throw new AnalyzeError(`stable ${service.name} is not running: nothing to compare with`);
    const declared = opts.instances.find((i) => i.service === service.name && i.track === track);
    if (declared && declared.state !== 'running')
      throw new AnalyzeError(
        `PR ${opts.pr}'s ${service.name} canary is declared but ${declared.state}: its calls would fail`,
      );
    return { service, stable, pr: declared ?? stable };
  });
  // Both sides' code paths warmed up alike (connections, JIT) before anything is measured.
  await driveLoad({ url: opts.url, pr: opts.pr, requests: WARM_UP_REQUESTS, concurrency: opts.concurrency });
  const scrapeAll = () =>
    Promise.all(sides.map(async (s) => ({ stable: await scrape(s.stable), pr: await scrape(s.pr) })));
  const drive = (requests: number) =>
    driveLoad({ url: opts.url, pr: opts.pr, requests, concurrency: opts.concurrency });
  const firstHalf = Math.floor(opts.requests / 2);
  const start = await scrapeAll();
  const first = await drive(firstHalf);
  const middle = await scrapeAll();
  const second = await drive(opts.requests - firstHalf);
  const end = await scrapeAll();
  const services = sides.map((side, index): ServiceHop => {
    const family = METRIC_FAMILIES[side.service.protocol];
    const at = (scrapes: typeof start) => scrapes[index] as { stable: MetricSample[]; pr: MetricSample[] };
    const between = (from: typeof start, to: typeof start): HalfObservation => ({
      stable: increase(family, { ...side.service.filter, canary: 'absent' }, side.stable.track, [
        at(from).stable,
        at(to).stable,
      ]),
      pr: increase(family, { ...side.service.filter, canary: 'present' }, side.pr.track, [
        at(from).pr,
        at(to).pr,
      ]),
    });
    const hasCanary = side.pr !== side.stable;
    return {
      hasCanary,
      observation: {
        hop: side.service.name,
        protocol: side.service.protocol,
        source: hasCanary
          ? family.requests
          : `${family.requests}: PR ${opts.pr} has no ${side.service.name} canary, so stable's instance served both`,
        ...between(start, end),
        halves: [between(start, middle), between(middle, end)],
      },
    };
  });
  const fromLoad = (calls: { stable: readonly Call[]; pr: readonly Call[] }): HalfObservation => ({
    stable: fromCalls('stable', calls.stable),
    pr: fromCalls(track, calls.pr),
  });
  const verdict = judgeReached({
    pr: opts.pr,
    mode: 'local load',
    always: [
      {
        hop: 'edge',
        protocol: 'client',
        source: `${opts.requests} requests per side through the dev router`,
        ...fromLoad({ stable: [...first.stable, ...second.stable], pr: [...first.pr, ...second.pr] }),
        halves: [fromLoad(first), fromLoad(second)],
      },
    ],
    services,
    traffic: `this load (${LOAD_PATHS.map((p) => `GET ${p}`).join(', ')} through the dev router)`,
    thresholds: opts.thresholds,
  });
  const sent = { stable: first.stable.length + second.stable.length, pr: first.pr.length + second.pr.length };
  const foreign = foreignCalls(services, sent, opts.concurrency);
  if (foreign.length === 0) return verdict;
  const counted = foreign
    .map(
      (f) =>
        `${f.hop} counted ${f.observed} ${f.side === 'pr' ? `PR ${opts.pr}` : 'stable'} calls where this run sent ${sent[f.side]}`,
    )
    .join(', ');
  return {
    ...verdict,
    outcome: 'inconclusive',
    origin: null,
    summary: `Cannot tell whether PR ${opts.pr} is worse than stable: requests this run did not send reached the stack while it ran (${counted}) — another analyze, the web UI, curl — and its figures include them; run analyze again with the stack to itself`,
  };
}

/**
 * Calls an HTTP hop counted beyond what this run sent: every request of the load is one call at each
 * HTTP service on its path, so more means someone else's requests landed in the same series (they are
 * told apart only by the `canary` label). `slack`: the warm-up's last requests in flight may be
 * counted after the first scrape.
 */
function foreignCalls(
  services: readonly ServiceHop[],
  sent: { stable: number; pr: number },
  slack: number,
): { hop: string; side: 'stable' | 'pr'; observed: number }[] {
  return services
    .filter(({ observation }) => observation.protocol === 'http')
    .flatMap(({ observation }) =>
      (['stable', 'pr'] as const)
        .filter((side) => observation[side].calls > sent[side] + slack)
        .map((side) => ({ hop: observation.hop, side, observed: observation[side].calls })),
    );
}

function running(
  instances: readonly InstanceEndpoint[],
  service: string,
  track: string,
): InstanceEndpoint | undefined {
  return instances.find(
    (i) => i.service === service && i.track === track && i.state === 'running' && i.metricsPort,
  );
}

function fromCalls(track: string, calls: readonly Call[]): SideObservation {
  return {
    track,
    calls: calls.length,
    errors: calls.filter((c) => isHttpError(c.status)).length,
    latencies: { kind: 'samples', ms: calls.map((c) => c.ms) },
  };
}

function increase(
  family: (typeof METRIC_FAMILIES)[Protocol],
  filter: Record<string, LabelMatcher>,
  track: string,
  [before, after]: [MetricSample[], MetricSample[]],
): SideObservation {
  const errorFilter = { ...filter, [family.errorLabel]: new RegExp(family.errorPattern) };
  const calls = counterIncrease(
    sumOf(before, family.requests, filter),
    sumOf(after, family.requests, filter),
  );
  const errors = counterIncrease(
    sumOf(before, family.requests, errorFilter),
    sumOf(after, family.requests, errorFilter),
  );
  return {
    track,
    calls,
    errors: Math.min(errors, calls),
    latencies: {
      kind: 'buckets',
      buckets: bucketIncrease(
        bucketsOf(before, family.duration, filter),
        bucketsOf(after, family.duration, filter),
      ),
    },
  };
}

async function scrape(instance: InstanceEndpoint): Promise<MetricSample[]> {
  const url = `http://127.0.0.1:${instance.metricsPort}/metrics`;
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  if (!response?.ok)
    throw new AnalyzeError(
      `could not read the metrics of ${instance.service} ${instance.track} at :${instance.metricsPort}${response ? ` (HTTP ${response.status})` : ''}: did it restart during the run? Nothing was judged; run analyze again once the stack is steady`,
    );
  return parseExposition(await response.text());
}
