/**
 * Where PR verdicts come from: the local stack's control endpoint, which keeps the latest verdict
 * `npx pr-canary analyze --pr N` reached for each PR. `?stack=<url>` wins, then `stackUrl` in
 * config.json (what `npm start` serves), then `VITE_STACK_URL` (what `npm start -- --web-dev` sets),
 * then — only for a page served without a config.json (a bare `vite dev`) — the stack's default port.
 * A deployment's config.json names no stack: in a cluster there is no such endpoint (the verdict is in
 * the PR comment, and the view says so), and a deployed page must not call its users' own localhost.
 */
import { parseVerdict, type Verdict } from '@pr-canary/canary-analysis/verdict';
import { isTrack } from '@pr-canary/contracts/canary-key';
import { LOCAL_CONTROL_URL } from '@pr-canary/contracts/local-stack';
import { SERVICE_NAME_SHAPE } from '@pr-canary/contracts/served-by';
import { parseApiUrl } from './config';

export const DEFAULT_STACK_URL = LOCAL_CONTROL_URL;

export function resolveStackUrl(
  query: string | null,
  runtimeConfig: string | undefined,
  buildTime: string | undefined,
  /** Whether the page was served a config.json (a deployment, or `npm start`). */
  configured: boolean,
): string | null {
  for (const candidate of [query, runtimeConfig, buildTime]) {
    if (!candidate) continue;
    const url = parseApiUrl(candidate);
    if (url) return url;
  }
  return configured ? null : DEFAULT_STACK_URL;
}

export type VerdictLookup =
  | { kind: 'verdict'; verdict: Verdict }
  /** No verdict yet, and `pr-canary analyze` can make one. */
  | { kind: 'none'; message: string }
  /** No verdict, and `pr-canary analyze` would refuse to make one (the stack runs no canary of the PR, or it is stopped). */
  | { kind: 'cannot-judge'; message: string }
  | { kind: 'unreachable' }
  | { kind: 'invalid' };

type Get = (path: string) => Promise<Response>;

/**
 * Why `pr-canary analyze --pr <pr>` would refuse, from the stack's `GET /instances`, as the CLI says it:
 * the stack runs no canary of the PR, or one of its canaries is stopped (given up after a crash loop,
 * or stopped on request) and stays so until the stack restarts. Undefined when it would not refuse,
 * or when the stack's answer cannot tell (then the page suggests the command, which says why itself).
 */
async function whyNoVerdictCanBeMade(get: Get, pr: string): Promise<string | undefined> {
  let body: { instances?: unknown } | null;
  try {
    const response = await get('/instances');
    if (!response.ok) return undefined;
    body = (await response.json().catch(() => null)) as { instances?: unknown } | null;
  } catch {
    return undefined;
  }
  if (!Array.isArray(body?.instances)) return undefined;
  // Shown as text on the page: only what the stack's own grammar allows.
  const instances = body.instances.flatMap((entry) => {
    const { service, track, state } = (entry ?? {}) as Record<string, unknown>;
    return typeof service === 'string' &&
      SERVICE_NAME_SHAPE.test(service) &&
      typeof track === 'string' &&
      isTrack(track) &&
      typeof state === 'string'
      ? [{ service, track, state }]
      : [];
  });
  const own = instances.filter((instance) => instance.track === `pr-${pr}`);
  if (own.length === 0) {
    const canaries = [...new Set(instances.map((i) => i.track).filter((track) => track !== 'stable'))];
    return `This stack runs no canary of PR ${pr}, so there is nothing to compare with stable (its canaries: ${
      canaries.length > 0 ? canaries.join(', ') : 'none'
    }). Declare one in localdev/canaries.json or with npm start -- --canary ${pr}=<service>,… and start the stack again.`;
  }
  const stopped = own.find((instance) => instance.state === 'stopped');
  if (stopped)
    return `PR ${pr}'s ${stopped.service} canary is stopped until the stack restarts, so there is nothing to judge. Start the stack again (npm start).`;
  return undefined;
}

/**
 * The verdict on `pr`, asked of the stack's list first: a PR without one is "none" from the list's
 * 200, not from a 404 for its verdict, which a browser logs as a console error on every choice of PR.
 */
export async function fetchVerdict(
  stackUrl: string,
  pr: string,
  fetchFn: typeof fetch = fetch,
): Promise<VerdictLookup> {
  const none: VerdictLookup = { kind: 'none', message: `No verdict for PR ${pr} yet.` };
  const get: Get = (path) =>
    fetchFn(`${stackUrl}${path}`, {
      headers: { accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(5_000),
    });
  let listed: boolean;
  try {
    const list = await get('/verdicts');
    if (!list.ok) return { kind: 'unreachable' };
    const body = (await list.json().catch(() => null)) as { verdicts?: unknown } | null;
    if (!Array.isArray(body?.verdicts)) return { kind: 'invalid' };
    listed = body.verdicts.some((entry) => (entry as { pr?: unknown } | null)?.pr === pr);
  } catch {
    return { kind: 'unreachable' };
  }
  if (!listed) {
    const reason = await whyNoVerdictCanBeMade(get, pr);
    return reason === undefined ? none : { kind: 'cannot-judge', message: reason };
  }
  let response: Response;
  try {
    response = await get(`/verdicts/${encodeURIComponent(pr)}`);
  } catch {
    return { kind: 'unreachable' };
  }
  if (response.status === 404) return none; // dropped since the list was read
  if (!response.ok) return { kind: 'unreachable' };
  try {
    return { kind: 'verdict', verdict: parseVerdict(await response.json()) };
  } catch {
    return { kind: 'invalid' };
  }
}
