/**
 * The popup's "check" button: asks an origin's `GET /api/route` (with the chosen key) where the request
 * landed at every hop. The response is untrusted: its shape is checked and it is only shown as text.
 */
import { CANARY_HEADER_CANONICAL } from '@pr-canary/contracts/canary-key';
import {
  parseRouteHops,
  type RouteReport as ReportBody,
  parseRouteReport as readRouteReport,
} from '@pr-canary/contracts/route-report';

export interface RouteReport extends ReportBody {
  status: number;
  /** For an error status: the API's (or the router's) message, e.g. "PR 7's store-service canary is declared but not running (stopped)". */
  error: string | null;
}

export type RouteCheckResult = { ok: true; report: RouteReport } | { ok: false; message: string };

const ROUTE_PATH = '/api/route';
const CHECK_TIMEOUT_MS = 5000;
const MAX_MESSAGE_LENGTH = 300;

/**
 * Reads a `/api/route` body by the contracts' schema. Error responses (503/504 when the store is
 * unreachable) still carry `hops`, so they are reports too, with the API's message.
 */
export function parseRouteReport(status: number, body: unknown): RouteReport | undefined {
  if (status < 400) {
    const report = readRouteReport(body);
    return report.ok ? { status, ...report.value, error: null } : undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const hops = parseRouteHops((body as Record<string, unknown>).hops);
  if (!hops.ok) return undefined;
  return { status, canary: null, warning: null, hops: hops.value, error: errorMessage(status, body) };
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
      .slice(0, MAX_MESSAGE_LENGTH)
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
      headers: { [CANARY_HEADER_CANONICAL]: pr, Accept: 'application/json' },
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
