/**
 * Where the popup sends a tester to look rather than read: the local web UI (what `npm start` serves)
 * with the PR chosen, scrolled to its PR-vs-stable verdict; the route inspector is on the same page.
 * The local stack's default addresses come from contracts (`./local-stack`); the web UI and trace
 * receiver the tester actually uses (`npm start -- --web-port N`) come from the page (`describePage`) when it is known.
 */
import { PR_NUMBER_PATTERN, TRACE_ID_PATTERN } from '@pr-canary/contracts/canary-key';
import { LOCAL_TRACES_URL, LOCAL_WEB_UI_URL } from '@pr-canary/contracts/local-stack';
import { originOfUrl, parseUrl } from './origin';

/** `npm start`'s web UI at its default port (`--web-port` changes it). */
export const LOCAL_WEB_UI = LOCAL_WEB_UI_URL;
/** `npx pr-canary trace`'s default receiver (`--url`), `npm start`'s at its default port. */
export const LOCAL_TRACE_RECEIVER = LOCAL_TRACES_URL;

/** What the web UI reads a waterfall from: `GET <tracesUrl>/api/traces/<id>`. */
const TRACE_READ_PATH = new RegExp(`^/api/traces/${TRACE_ID_PATTERN.source.slice(1, -1)}$`);

/** The web UI's verdict view for a PR; undefined for anything that is not a PR number. */
export function verdictLink(pr: string | null, webUi: string = LOCAL_WEB_UI): string | undefined {
  if (pr === null || !PR_NUMBER_PATTERN.test(pr)) return undefined;
  const url = new URL(webUi);
  url.searchParams.set('pr', pr);
  url.hash = 'verdict';
  return url.toString();
}

/** Where the tester sees a trace's waterfall: the web UI's route inspector, which draws `?trace=`. */
export function waterfallUrl(traceId: string, pr: string | null, webUi: string = LOCAL_WEB_UI): string {
  const url = new URL(webUi);
  url.searchParams.set('trace', traceId);
  if (pr !== null) url.searchParams.set('pr', pr);
  return url.toString();
}

/** Loopback's names, which reach the same local port: the stack serves on 127.0.0.1, the CLI defaults to localhost. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether two origins are the same, a loopback name standing for any other (`127.0.0.1:4318` is `localhost:4318`). */
function sameLocalOrigin(a: string, b: string): boolean {
  if (!URL.canParse(a) || !URL.canParse(b)) return false;
  const [x, y] = [new URL(a), new URL(b)];
  const host = (url: URL) => (LOOPBACK_NAMES.has(url.hostname) ? 'loopback' : url.hostname);
  return x.protocol === y.protocol && x.port === y.port && host(x) === host(y);
}

/** The CLI line for a trace, naming the receiver (`--url`) when it is known and not the default. */
export function traceCommand(traceId: string, receiver?: string): string {
  if (!TRACE_ID_PATTERN.test(traceId)) return 'npx pr-canary trace';
  const url =
    receiver === undefined || sameLocalOrigin(receiver, LOCAL_TRACE_RECEIVER) ? '' : ` --url ${receiver}`;
  return `npx pr-canary trace ${traceId}${url}`;
}

/** What the popup learnt about the page in the tab. */
export interface PageFacts {
  /** The page is the pr-canary web UI (it shows the API it calls in its header, `#api-url`). */
  webUi: boolean;
  /** The page's API: the web UI's `apiUrl`'s origin, when the page is the web UI. */
  api: string | undefined;
  /** The trace receiver the page read a waterfall from (`/api/traces/<id>`), when it did. */
  traces: string | undefined;
}

/**
 * Reads the page's facts from what the tab's one-off script returned: the text of the web UI's
 * `#api-url` (the API it resolved from `?api=`, config.json's `apiUrl` or the build) and the URLs of
 * its fetch/XHR calls. Only origins come out.
 */
export function describePage(apiUrlText: unknown, calledUrls: readonly unknown[]): PageFacts {
  const api = typeof apiUrlText === 'string' ? originOfUrl(apiUrlText.trim()) : undefined;
  let traces: string | undefined;
  for (const url of calledUrls) {
    const parsed = typeof url === 'string' ? parseUrl(url) : undefined;
    if (parsed && TRACE_READ_PATH.test(parsed.pathname)) traces = originOfUrl(parsed.href) ?? traces;
  }
  return { webUi: api !== undefined, api, traces };
}
