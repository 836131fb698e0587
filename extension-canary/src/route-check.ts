/**
 * The popup's "check" button: asks an origin's `GET /api/route` (with the chosen key) where the request
 * landed at every hop. The response is untrusted: its shape is checked and it is only shown as text.
 */
import { parseCanaryKey } from '@pr-canary/contracts/canary-key';
import { parseHopList, type ServedByEntry } from './served-by';

export interface RouteReport {
  status: number;
  canary: string | null;
  warning: string | null;
  hops: ServedByEntry[];
  /** For an error status: the API's (or the router's) message, e.g. "PR 7's store-service canary is declared but not running (stopped)". */
  error: string | null;
}

export type RouteCheckResult = { ok: true; report: RouteReport } | { ok: false; message: string };

const ROUTE_PATH = '/api/route';
const CHECK_TIMEOUT_MS = 5000;
const MAX_WARNING_LENGTH = 300;

/**
 * Parses a `/api/route` body. Error responses (503/504 when the store is unreachable) still carry
 * `hops`, so they are reports too.
 */
export function parseRouteReport(status: number, body: unknown): RouteReport | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const hops = parseHopList(record.hops);
  if (!hops) return undefined;
  const key = typeof record.canary === 'string' ? parseCanaryKey(record.canary) : undefined;
  const warning = typeof record.warning === 'string' ? displayText(record.warning) : null;
  return {
    status,
    canary: key?.kind === 'valid' ? key.pr : null,
    warning,
    hops,
    error: errorMessage(status, body),
  };
}

/** The `message` of an error body (`{statusCode, error, message, code}`), made safe to show. */
function errorMessage(status: number, body: unknown): string | null {
  if (status < 400 || typeof body !== 'object' || body === null) return null;
  const message = (body as Record<string, unknown>).message;
  return typeof message === 'string' && message.trim() !== '' ? displayText(message) : null;
}

/** Untrusted text as plain, short, one-line text. */
function displayText(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
      .trim()
      .slice(0, MAX_WARNING_LENGTH)
  );
}

/** Calls `<origin>/api/route` with `X-Canary: <pr>`, no cookies, no cache. */
export async function checkRoute(
  origin: string,
  pr: string,
  fetchImpl: typeof fetch = fetch,
): Promise<RouteCheckResult> {
  let response: Response;
  try {
    response = await fetchImpl(`${origin}${ROUTE_PATH}`, {
      headers: { 'X-Canary': pr, Accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
  } catch {
    return { ok: false, message: `Could not reach ${origin}${ROUTE_PATH}` };
  }
  const body: unknown = await response.json().catch(() => undefined);
  const report = parseRouteReport(response.status, body);
  if (!report) {
    // A router's own error (e.g. a canary that is declared but not running) has a message but no hops.
    const reason = errorMessage(response.status, body);
    return {
      ok: false,
      message: `${origin}${ROUTE_PATH} answered ${response.status}${reason ? `: ${reason}` : ' without a route report'}`,
    };
  }
  return { ok: true, report };
}
