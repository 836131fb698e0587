/**
 * The bounded load `pr-canary analyze` drives through the dev router: the same requests with and
 * without `X-Canary: N`, interleaved call by call so that whatever else the machine does lands on
 * both sides alike. Loopback only: this is a local tool, never a load test of someone's server.
 */
import { CANARY_HEADER } from '@pr-canary/contracts/canary-key';
import { originOf } from '../url-option';

export interface LoadOptions {
  /** The stack's HTTP entry, e.g. http://127.0.0.1:8080. */
  url: string;
  pr: string;
  /** Requests per side. */
  requests: number;
  /** Requests in flight at once (both sides together). */
  concurrency: number;
  timeoutMs?: number;
}

export interface Call {
  ms: number;
  /** HTTP status; 0 when no answer came (connection refused, reset, timeout). */
  status: number;
}

export interface LoadResult {
  stable: Call[];
  pr: Call[];
  /** The paths requested, in turn. */
  paths: readonly string[];
}

/** Reads the list of items (api → store ListItems): a read every instance serves, writing nothing. */
export const LOAD_PATHS = ['/api/items?limit=5'] as const;

export class LoadUsageError extends Error {
  override name = 'LoadUsageError';
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The URL's origin if it is an http URL on this machine; else a LoadUsageError naming `flag`, the option it came from. */
export function loopbackOrigin(raw: string, flag = '--url'): string {
  const parsed = originOf(raw, flag, ['http:']);
  if ('problem' in parsed) throw new LoadUsageError(parsed.problem);
  if (!LOOPBACK_HOSTS.has(parsed.url.hostname))
    throw new LoadUsageError(
      `the local stack is on this machine: ${flag} must be 127.0.0.1, [::1] or localhost`,
    );
  return parsed.origin;
}

export async function driveLoad(opts: LoadOptions): Promise<LoadResult> {
  const origin = loopbackOrigin(opts.url);
  const total = opts.requests * 2;
  const result: LoadResult = { stable: [], pr: [], paths: LOAD_PATHS };
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      const withKey = i % 2 === 1;
      const path = LOAD_PATHS[Math.floor(i / 2) % LOAD_PATHS.length] as string;
      const call = await timedRequest(
        `${origin}${path}`,
        withKey ? opts.pr : undefined,
        opts.timeoutMs ?? 10_000,
      );
      (withKey ? result.pr : result.stable).push(call);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, total) }, worker));
  return result;
}

async function timedRequest(url: string, pr: string | undefined, timeoutMs: number): Promise<Call> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      headers: pr === undefined ? {} : { [CANARY_HEADER]: pr },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return { ms: performance.now() - started, status: response.status };
  } catch {
    return { ms: performance.now() - started, status: 0 };
  }
}
