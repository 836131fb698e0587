/**
 * Where PR verdicts come from: the local stack's control endpoint, which keeps the latest verdict
 * `npx pr-canary analyze --pr N` reached for each PR. `?stack=<url>` wins, then `stackUrl` in
 * config.json (what `npm start` serves), then `VITE_STACK_URL` (what `npm start -- --web-dev` sets),
 * then the stack's default port. In a cluster there is no such endpoint: the verdict
 * is in the PR comment, and the view says so.
 */
import { parseVerdict, type Verdict } from '@pr-canary/canary-analysis/verdict';
import { parseApiUrl } from './config';

export const DEFAULT_STACK_URL = 'http://127.0.0.1:8090';

export function resolveStackUrl(
  query: string | null,
  runtimeConfig: string | undefined,
  buildTime: string | undefined,
): string {
  for (const candidate of [query, runtimeConfig, buildTime]) {
    if (!candidate) continue;
    const url = parseApiUrl(candidate);
    if (url) return url;
  }
  return DEFAULT_STACK_URL;
}

export type VerdictLookup =
  | { kind: 'verdict'; verdict: Verdict }
  | { kind: 'none'; message: string }
  | { kind: 'unreachable' }
  | { kind: 'invalid' };

export async function fetchVerdict(
  stackUrl: string,
  pr: string,
  fetchFn: typeof fetch = fetch,
): Promise<VerdictLookup> {
  let response: Response;
  try {
    response = await fetchFn(`${stackUrl}/verdicts/${encodeURIComponent(pr)}`, {
      headers: { accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    return { kind: 'unreachable' };
  }
  if (response.status === 404) return { kind: 'none', message: `No verdict for PR ${pr} yet.` };
  if (!response.ok) return { kind: 'unreachable' };
  try {
    return { kind: 'verdict', verdict: parseVerdict(await response.json()) };
  } catch {
    return { kind: 'invalid' };
  }
}
