import { TRACE_ID_PATTERN } from '@pr-canary/traces/model';
import { createApiClient } from './api/client';
import { asApiError } from './api/errors';
import {
  loadRuntimeConfig,
  type ResolvedApiUrl,
  type RuntimeConfig,
  resolveApiUrl,
  resolveTracesUrl,
} from './config';
import {
  canaryHeaderValue,
  choiceLabel,
  initialChoice,
  PR_STORAGE_KEY,
  type PrChoice,
  urlWithChoice,
} from './pr-choice';
import { byId } from './ui/dom';
import { createInspector } from './ui/inspector';
import { createItemsView } from './ui/items';
import { createNotices, failureTopic, type Notices } from './ui/notices';
import { createPrPicker } from './ui/pr-picker';
import { createVerdictView } from './ui/verdict-view';
import { createWaterfallView, SPAN_ANCHOR_PREFIX } from './ui/waterfall';
import { fetchVerdict, resolveStackUrl, type VerdictLookup } from './verdict-source';

/** How often the verdict view asks the stack for the chosen PR's latest verdict. */
const VERDICT_POLL_MS = 2_000;

async function resolveApi(
  search: URLSearchParams,
  notices: Notices,
): Promise<{ api: ResolvedApiUrl; tracesUrl: string | null; stackUrl: string | null }> {
  let runtimeConfig: RuntimeConfig | undefined;
  /** A config.json was served (even a broken one): a deployment, which never calls localhost. */
  let configured = false;
  try {
    runtimeConfig = await loadRuntimeConfig(new URL('config.json', document.baseURI));
    configured = runtimeConfig !== undefined;
  } catch (error) {
    configured = true;
    const reason =
      error instanceof Error && error.name === 'RuntimeConfigError' ? error.message : 'network error';
    notices.error(`Ignored config.json: ${reason}.`);
  }
  const resolved = resolveApiUrl({
    query: search.get('api'),
    runtimeConfig: runtimeConfig?.apiUrl,
    buildTime: import.meta.env.VITE_API_URL,
  });
  for (const notice of resolved.notices) notices.error(notice);
  // A link can carry ?api=; say so, so nobody mistakes another API's data for this deployment's.
  if (resolved.source === 'query')
    notices.info(`Using the API at ${resolved.url}, set by the ?api= parameter.`);
  const traces = resolveTracesUrl({
    query: search.get('traces'),
    runtimeConfig: runtimeConfig?.tracesUrl,
    buildTime: import.meta.env.VITE_TRACES_URL,
  });
  for (const notice of traces.notices) notices.error(notice);
  const stackUrl = resolveStackUrl(
    search.get('stack'),
    runtimeConfig?.stackUrl,
    import.meta.env.VITE_STACK_URL,
    configured,
  );
  return { api: resolved, tracesUrl: traces.url, stackUrl };
}

/** Remembers the choice for the next visit; storage may be unavailable (private mode), which is fine. */
function remember(choice: PrChoice): void {
  try {
    const value = canaryHeaderValue(choice);
    if (value === null) localStorage.removeItem(PR_STORAGE_KEY);
    else localStorage.setItem(PR_STORAGE_KEY, value);
  } catch {
    // Not remembering is harmless: the choice is also in the URL.
  }
}

function storedChoice(): string | null {
  try {
    return localStorage.getItem(PR_STORAGE_KEY);
  } catch {
    return null;
  }
}

/**
 * A link to a section of the page (`?pr=42#verdict`, as the README and the extension's popup link):
 * the browser jumps to it at load, before the items and the inspector above it are drawn and push it
 * down. Call the returned function once they are: it brings the section into view — once, and only if
 * the user has not scrolled (or otherwise taken over) meanwhile.
 */
function watchLinkedSection(): () => void {
  let id = '';
  try {
    id = decodeURIComponent(location.hash.slice(1));
  } catch {
    // A malformed fragment names no section.
  }
  let userMoved = false;
  const events = ['wheel', 'touchmove', 'keydown', 'mousedown'] as const;
  const moved = () => {
    userMoved = true;
  };
  for (const type of events) addEventListener(type, moved, { capture: true, passive: true });
  return () => {
    for (const type of events) removeEventListener(type, moved, { capture: true });
    const section = id ? document.getElementById(id) : null;
    if (section && !userMoved) section.scrollIntoView();
  };
}

async function main(): Promise<void> {
  const landOnLinkedSection = watchLinkedSection();
  const notices = createNotices({
    error: byId('notices-error', HTMLElement),
    info: byId('notices-info', HTMLElement),
  });
  const search = new URLSearchParams(location.search);
  const start = initialChoice(search, storedChoice());
  if (start.notice) notices.error(start.notice);
  let choice = start.choice;

  const { api, tracesUrl, stackUrl } = await resolveApi(search, notices);
  const apiUrl = byId('api-url', HTMLElement);
  apiUrl.textContent = api.url;
  apiUrl.title = `from ${api.source}`;

  const inspector = createInspector({
    request: byId('route-request', HTMLElement),
    hops: byId('hops', HTMLOListElement),
    verdicts: byId('verdicts', HTMLElement),
  });
  const waterfall = createWaterfallView({
    elements: {
      heading: byId('trace-heading', HTMLElement),
      intro: byId('trace-intro', HTMLElement),
      status: byId('trace-status', HTMLElement),
      spans: byId('trace-spans', HTMLOListElement),
      showLast: byId('trace-show-last', HTMLButtonElement),
    },
    tracesUrl,
    onDrawn: (sequence, drawn) =>
      inspector.linkHops(sequence, (service) => {
        const span = drawn.rows.find((row) => row.span.service === service && row.span.kind === 'server');
        return span && `${SPAN_ANCHOR_PREFIX}${span.span.spanId}`;
      }),
  });
  // A link to one trace (the extension's popup, a teammate): ?trace=<id> draws it at once.
  const linkedTrace = search.get('trace')?.toLowerCase();
  const client = createApiClient({
    baseUrl: api.url,
    canary: () => canaryHeaderValue(choice),
    onObservation: (observation) => {
      inspector.observe(observation);
      // A linked trace stays until the user makes a request of their own (the page's first load is
      // not one) or asks for the last request's waterfall (ui/waterfall.ts says which is shown).
      waterfall.observe(observation, { keepLinked: observation.sequence === 1 });
    },
  });
  if (linkedTrace !== undefined) {
    if (TRACE_ID_PATTERN.test(linkedTrace)) waterfall.showTrace(linkedTrace);
    else notices.error('Ignored the ?trace= parameter: a trace id is 32 hexadecimal digits.');
  }
  const items = createItemsView({ api: client, notices, choice: () => choice });
  const verdictView = createVerdictView(
    {
      summary: byId('pr-verdict-summary', HTMLElement),
      hops: byId('pr-verdict-hops', HTMLOListElement),
    },
    stackUrl,
  );
  /** The verdict of the PR chosen now; a slower answer for an earlier choice is dropped. */
  async function refreshVerdict(): Promise<void> {
    const pr = canaryHeaderValue(choice);
    if (pr === null) return verdictView.show(null, null);
    const lookup: VerdictLookup =
      stackUrl === null ? { kind: 'unreachable' } : await fetchVerdict(stackUrl, pr);
    if (canaryHeaderValue(choice) === pr) verdictView.show(pr, lookup);
  }

  /** One place that makes a choice visible and durable: field, pills, title, URL, storage. */
  function applyChoice(): void {
    picker.show(choice);
    document.title = `pr-canary · ${choiceLabel(choice)}`;
    history.replaceState(history.state, '', urlWithChoice(location.href, choice));
    remember(choice);
  }
  const checkRouteButton = byId('check-route', HTMLButtonElement);
  /** The inspector shows the outcome; a failure is also said in words. */
  async function checkRoute(rawCanary?: string): Promise<void> {
    checkRouteButton.disabled = true;
    try {
      await client.checkRoute(rawCanary === undefined ? {} : { rawCanary });
      notices.clear('unreachable', 'route-check');
    } catch (error) {
      const failure = asApiError(error);
      notices.error(`Route check failed: ${failure.message}`, failureTopic(failure, 'route-check'));
    } finally {
      checkRouteButton.disabled = false;
    }
  }

  const picker = createPrPicker({
    onChoose(next) {
      choice = next;
      applyChoice();
      void items.reload();
      void refreshVerdict();
    },
    onTryInvalid: (rawKey) => void checkRoute(rawKey),
  });
  applyChoice();

  byId('reload-items', HTMLButtonElement).addEventListener('click', () => void items.reload());
  checkRouteButton.addEventListener('click', () => void checkRoute());

  const firstVerdict = refreshVerdict();
  setInterval(() => {
    if (document.visibilityState === 'visible') void refreshVerdict();
  }, VERDICT_POLL_MS);
  // The first render of everything above a linked section: the items and the verdict itself.
  await Promise.allSettled([items.reload(), firstVerdict]);
  landOnLinkedSection();
}

void main();
