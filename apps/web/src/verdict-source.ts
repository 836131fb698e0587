/**
 * Where PR verdicts come from: the local stack's control endpoint, which keeps the latest verdict
 * `npx pr-canary analyze --pr N` reached for each PR. `?stack=<url>` wins, then `stackUrl` in
 * config.json (what `npm start` serves), then `VITE_STACK_URL` (what `npm start -- --web-dev` sets),
 * then — only for a page served without a config.json (a bare `vite dev`) — the stack's default port.
 * A deployment's config.json names no stack: in a cluster there is no such endpoint (the verdict is in
 * the PR comment, and the view says so), and a deployed page must not call its users' own localhost.
 */
import { parseVerdict, type Verdict } from '@pr-canary/canary-analysis/verdict';
import { LOCAL_CONTROL_URL } from '@pr-canary/contracts/local-stack';
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
  | { kind: 'none'; message: string }
  | { kind: 'unreachable' }
  | { kind: 'invalid' };

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
  const get = (path: string) =>
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
  if (!listed) return none;
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
