import { isRouteUnavailableMessage } from '@pr-canary/canary-context/route-unavailable';
import { CANARY_HEADER, isTrack, parseCanaryKey, TRACE_ID_HEADER } from '@pr-canary/contracts/canary-key';
import { LOCAL_API_URL } from '@pr-canary/contracts/local-stack';
import { parseRouteReport, type RouteReport } from '@pr-canary/contracts/route-report';
import type { RoutedService } from '@pr-canary/contracts/route-rule';
import { nodeServices, serviceByShortOrName } from '@pr-canary/contracts/services';
import { TRACE_ID_PATTERN } from '@pr-canary/traces/model';
import { z } from 'zod';
import { readJsonCapped } from '../read-json';

/**
 * `canary probe`: sends N requests to `GET /api/route` (optionally with `X-Canary`), counts where each
 * hop landed (track and version), and checks the expectation. Pure apart from the HTTP requests.
 */

export interface ProbeOptions {
  /** Base URL of the api edge, e.g. http://localhost:8080. */
  url: string;
  /** Raw X-Canary value to send; undefined sends none. */
  key: string | undefined;
  count: number;
  timeoutMs: number;
  /** Expected track per registered service name, e.g. `{ [store's name]: 'pr-42' }`. */
  expect: Partial<Record<RoutedService, string>> | undefined;
  /**
   * An expectation for a service no request passed through is not checked (and does not fail the
   * probe): CI expects every canary service of the registry, and `GET /api/route` reaches only the
   * edge service and what it calls.
   */
  skipUnreached?: boolean;
}

export interface HopCount {
  track: string;
  version: string;
  count: number;
}

export interface ExpectationResult {
  service: RoutedService;
  expected: string;
  matched: number;
  /** False when no request passed through the service and unreached services are skipped. */
  checked: boolean;
  ok: boolean;
}

export interface ProbeResult {
  url: string;
  key: string | null;
  /** What the shared parser makes of the key: absent, valid or invalid (served as stable). */
  keyKind: 'absent' | 'valid' | 'invalid';
  count: number;
  succeeded: number;
  failures: { status: number | null; message: string; count: number }[];
  warnings: { warning: string; count: number }[];
  hops: Record<string, HopCount[]>;
  expectations: ExpectationResult[];
  /** `X-Trace-Id` of the last response (see it with `pr-canary trace <id>`), when traced. */
  lastTraceId: string | null;
  ok: boolean;
}

/**
 * The `code` of an api or router error body (e.g. UNAVAILABLE, UPSTREAM_UNAVAILABLE), only a safe
 * token, and its message when it is the fixed "… is declared but not running (…)" shape.
 */
const errorCodeSchema = z.object({
  code: z.string().regex(/^[A-Z][A-Z_]{0,39}$/),
  message: z.string().refine(isRouteUnavailableMessage).optional().catch(undefined),
});

export class ProbeUsageError extends Error {
  override name = 'ProbeUsageError';
}

/** Parses `<short>=<track>,…` (e.g. `api=pr-42,store=stable`); a service's full name works too. */
export function parseExpectation(value: string): Partial<Record<RoutedService, string>> {
  const expectation: Partial<Record<RoutedService, string>> = {};
  for (const part of value.split(',')) {
    const pair = part.split('=');
    if (pair.length !== 2)
      throw new ProbeUsageError(`--expect: write <service>=<track>, e.g. ${nodeServices()[0]?.short}=pr-42`);
    const [name = '', track = ''] = pair.map((s) => s.trim());
    const service = serviceByShortOrName(name);
    if (service?.runtime !== 'node')
      throw new ProbeUsageError(
        `--expect: unknown service; use ${nodeServices()
          .map((entry) => entry.short)
          .join(', ')} (or their full names)`,
      );
    if (!isTrack(track)) throw new ProbeUsageError('--expect: a track is stable or pr-<N>');
    if (expectation[service.name] !== undefined)
      throw new ProbeUsageError(`--expect: ${service.short} is expected twice; give each service once`);
    expectation[service.name] = track;
  }
  return expectation;
}

type Outcome = (
  | { kind: 'ok'; body: RouteReport }
  | { kind: 'failed'; status: number | null; message: string }
) & { traceId?: string };

export async function probe(options: ProbeOptions): Promise<ProbeResult> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < options.count; i++) outcomes.push(await requestOnce(options));
  return summarize(options, outcomes);
}

/** The largest `/api/route` answer read (the api's is a few hundred bytes). */
const MAX_ANSWER_BYTES = 1024 * 1024;

async function requestOnce(options: ProbeOptions): Promise<Outcome> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.key !== undefined) headers[CANARY_HEADER] = options.key;
  try {
    const response = await fetch(new URL('/api/route', options.url), {
      headers,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const body: unknown = await readJsonCapped(response, MAX_ANSWER_BYTES).catch(() => undefined);
    const parsed = parseRouteReport(body);
    const header = response.headers.get(TRACE_ID_HEADER) ?? '';
    const traced = TRACE_ID_PATTERN.test(header) ? { traceId: header } : {};
    if (response.ok && parsed.ok) return { kind: 'ok', body: parsed.value, ...traced };
    const code = errorCodeSchema.safeParse(body);
    const detail = code.success
      ? ` ${code.data.code}${code.data.message ? `: ${code.data.message}` : ''}`
      : parsed.ok
        ? ''
        : ' without a route body';
    return {
      kind: 'failed',
      status: response.status,
      message: `HTTP ${response.status}${detail}`,
      ...traced,
    };
  } catch (error) {
    return { kind: 'failed', status: null, message: describeFetchError(error) };
  }
}

/** A failed request's message, with why it failed when that is known and printable. */
const failedRequest = (why?: string) => (why ? `request failed (${why})` : 'request failed');
/** What a request to a port nothing listens on fails with. */
const REFUSED = failedRequest('ECONNREFUSED');

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if ((error as Error).name === 'TimeoutError') return 'timed out';
  // A system error has a code (ECONNREFUSED); fetch's own refusals only a message ("bad port").
  const why = typeof cause?.code === 'string' ? cause.code : cause?.message;
  return failedRequest(typeof why === 'string' && /^[\x20-\x7e]{1,80}$/.test(why) ? why : undefined);
}

function summarize(options: ProbeOptions, outcomes: readonly Outcome[]): ProbeResult {
  const hops: Record<string, HopCount[]> = {};
  const warnings = new Map<string, number>();
  const failures = new Map<string, { status: number | null; message: string; count: number }>();
  const matched = new Map<RoutedService, number>();
  let succeeded = 0;
  for (const outcome of outcomes) {
    if (outcome.kind === 'failed') {
      const key = `${outcome.status} ${outcome.message}`;
      const entry = failures.get(key) ?? { status: outcome.status, message: outcome.message, count: 0 };
      entry.count++;
      failures.set(key, entry);
      continue;
    }
    succeeded++;
    if (outcome.body.warning)
      warnings.set(outcome.body.warning, (warnings.get(outcome.body.warning) ?? 0) + 1);
    for (const hop of outcome.body.hops) countHop(hops, hop);
    for (const [service, track] of Object.entries(options.expect ?? {}) as [RoutedService, string][]) {
      if (outcome.body.hops.some((hop) => hop.service === service && hop.track === track)) {
        matched.set(service, (matched.get(service) ?? 0) + 1);
      }
    }
  }
  const expectations = (Object.entries(options.expect ?? {}) as [RoutedService, string][]).map(
    ([service, expected]): ExpectationResult => {
      const count = matched.get(service) ?? 0;
      const checked = !options.skipUnreached || succeeded === 0 || hops[service] !== undefined;
      return { service, expected, matched: count, checked, ok: !checked || count === options.count };
    },
  );
  return {
    url: options.url,
    key: options.key ?? null,
    keyKind: parseCanaryKey(options.key, { lines: true }).kind,
    count: options.count,
    succeeded,
    failures: [...failures.values()],
    warnings: [...warnings].map(([warning, count]) => ({ warning, count })),
    hops,
    expectations,
    lastTraceId: outcomes.at(-1)?.traceId ?? null,
    ok: succeeded === options.count && expectations.every((e) => e.ok),
  };
}

function countHop(hops: Record<string, HopCount[]>, hop: RouteReport['hops'][number]): void {
  const counts = hops[hop.service] ?? [];
  hops[hop.service] = counts;
  const existing = counts.find((c) => c.track === hop.track && c.version === hop.version);
  if (existing) existing.count++;
  else counts.push({ track: hop.track, version: hop.version, count: 1 });
}

/**
 * Why an expectation cannot hold when the service answered no hop of any request that succeeded: the
 * probe's one path (`GET /api/route`, the edge service and what it calls) does not reach it — e.g. an
 * edge service of its own, reached by its Host.
 */
function offPath(result: ProbeResult, service: string): string {
  if (result.succeeded === 0 || result.hops[service]) return '';
  return `: no request passed through ${service} (GET /api/route reached ${Object.keys(result.hops).join(', ')})`;
}

/**
 * How to look the trace up. `pr-canary trace` asks the default local receiver unless told otherwise:
 * only a probe of the default local stack can print a command that works as it is; elsewhere the
 * receiver is the stack's own (its start banner names it) or, in a cluster, the tracing backend.
 */
function traceHint(probedUrl: string, traceId: string): string {
  return probedUrl === LOCAL_API_URL
    ? `${traceId} (npx pr-canary trace ${traceId})`
    : `${traceId} (npx pr-canary trace ${traceId} --url TRACES_URL, that stack's trace receiver as its npm start banner names it; in a cluster, look it up in your tracing backend)`;
}

/** Human-readable report. */
export function formatProbe(result: ProbeResult): string {
  const keyText =
    result.key === null ? 'no X-Canary' : `X-Canary: ${JSON.stringify(result.key)} (${result.keyKind})`;
  const lines = [`probe ${result.url}/api/route  ${keyText}  ×${result.count}`];
  for (const [service, counts] of Object.entries(result.hops)) {
    const spread = counts.map((c) => `${c.track} (${c.version}) ${c.count}/${result.count}`).join(', ');
    lines.push(`  ${service.padEnd(14)} ${spread}`);
  }
  for (const w of result.warnings) lines.push(`  warning ×${w.count}: ${w.warning}`);
  for (const f of result.failures) lines.push(`  failed ×${f.count}: ${f.message}`);
  if (result.failures.some((f) => f.message === REFUSED))
    lines.push(
      `  nothing listens at ${result.url}: is the stack running (npm start), or on other ports (--url)?`,
    );
  for (const e of result.expectations) {
    const outcome = !e.checked ? 'not checked' : e.ok ? 'ok' : 'FAILED';
    lines.push(
      `  expect ${e.service}=${e.expected}: ${outcome} (${e.matched}/${result.count})${offPath(result, e.service)}`,
    );
  }
  if (result.lastTraceId)
    lines.push(`  trace of the last request: ${traceHint(result.url, result.lastTraceId)}`);
  lines.push(result.ok ? 'ok' : 'FAILED');
  return lines.join('\n');
}
