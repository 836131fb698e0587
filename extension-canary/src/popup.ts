/**
 * The popup: choose a PR, the origins, the expiry; turn injection on and off; see who served the tab.
 * Every change goes to the service worker as a command; host access is asked for here, because
 * Chrome only shows the permission prompt in response to a click or key press.
 * Anything that came from a server is written with textContent, never as HTML.
 */

import { describePage, LOCAL_WEB_UI, type PageFacts, traceCommand, verdictLink, waterfallUrl } from './links';
import type { PopupRequest, PopupResponse, View } from './messages';
import {
  describeWildcard,
  entryCovers,
  isWildcard,
  normalizeOrigin,
  originOfUrl,
  permissionPatternsFor,
  schemesOf,
} from './origin';
import { checkRoute, type RouteReport } from './route-check';
import {
  checkKey,
  describeHops,
  describeKeyCheck,
  type HopView,
  type ObservedChain,
  parseStoredChain,
  servedByStorageKey,
} from './served-by';
import { type Command, prProblem, validateExpiryHours, type WebUi } from './state';

interface TargetTab {
  id: number;
  origin: string | undefined;
  /** Origins the page in the tab has called with fetch/XHR (its API), besides its own. */
  calledOrigins: string[];
  /** Whether the page is the pr-canary web UI, and what it calls. */
  page: PageFacts;
}

let view: View | undefined;
let target: TargetTab | undefined;
let lastChain: ObservedChain | undefined;

/** More would not fit the popup; a page that calls more APIs than this is better typed in. */
const MAX_SUGGESTED_API_ORIGINS = 6;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`popup.html lacks #${id}`);
  return found as T;
}

async function send(request: PopupRequest): Promise<PopupResponse> {
  const response = (await chrome.runtime.sendMessage(request)) as PopupResponse | undefined;
  if (!response) throw new Error('the extension could not apply the change');
  return response;
}

function showMessage(text: string | undefined, level: 'error' | 'info' = 'error'): void {
  const message = element('message');
  message.textContent = text ?? '';
  message.dataset.level = level;
  message.setAttribute('role', level === 'error' ? 'alert' : 'status');
  message.hidden = text === undefined;
}

async function runCommand(command: Command): Promise<boolean> {
  const response = await send({ type: 'command', command });
  render(response.view);
  showMessage(response.ok ? undefined : response.message);
  return response.ok;
}

/** The tab the tester is looking at: the active tab of the last focused browser window. */
async function findTargetTab(): Promise<TargetTab | undefined> {
  const window = await chrome.windows.getLastFocused({ windowTypes: ['normal'], populate: true });
  const tab = window.tabs?.find((candidate) => candidate.active);
  if (tab?.id === undefined) return undefined;
  const origin = originOfUrl(tab.url);
  const { called, page } = origin === undefined ? NOTHING_READ : await readPage(tab.id);
  return { id: tab.id, origin, calledOrigins: called.filter((candidate) => candidate !== origin), page };
}

const NOTHING_READ: { called: string[]; page: PageFacts } = {
  called: [],
  page: describePage(undefined, []),
};

/**
 * Which origins the page in the tab called with fetch, XHR, beacons or event streams: the page's own
 * Resource Timing entries (kept by the browser for every request the page made, before the extension
 * was involved). Read with a one-off script in the extension's isolated world, which needs access to the
 * tab: `activeTab` gives it when the toolbar button opened the popup. webRequest cannot do this: it only
 * reports requests to origins the extension already has access to, which is the point of asking.
 * The same script reads the text of `#api-url`, where the pr-canary web UI shows the API it calls: that
 * is how the popup knows the page is the web UI (on whichever port `npm start` serves it).
 * Nothing of the page is kept; only origins are used (and whether a call read a trace), validated here.
 */
async function readPage(tabId: number): Promise<{ called: string[]; page: PageFacts }> {
  let read: unknown;
  try {
    const [frame] = await chrome.scripting.executeScript({
      target: { tabId },
      func: () => ({
        urls: performance
          .getEntriesByType('resource')
          .filter((entry) =>
            ['fetch', 'xmlhttprequest', 'beacon', 'eventsource'].includes(
              (entry as PerformanceResourceTiming).initiatorType,
            ),
          )
          .map((entry) => entry.name)
          .slice(-500),
        apiUrl: document.getElementById('api-url')?.textContent?.slice(0, 2048) ?? null,
      }),
    });
    read = frame?.result;
  } catch {
    return NOTHING_READ; // No access to this tab (a chrome:// page, or the popup was not opened from it).
  }
  const { urls, apiUrl } = (typeof read === 'object' && read !== null ? read : {}) as Record<string, unknown>;
  if (!Array.isArray(urls)) return NOTHING_READ;
  const origins: string[] = [];
  for (const url of urls) {
    const origin = typeof url === 'string' ? originOfUrl(url) : undefined;
    if (origin !== undefined && !origins.includes(origin)) origins.push(origin);
  }
  return { called: origins.slice(0, MAX_SUGGESTED_API_ORIGINS), page: describePage(apiUrl, urls) };
}

/**
 * The web UI the tester uses: this tab when it is the web UI, else the one "Add this page and the API
 * it calls" found; undefined when neither (the links then assume `npm start`'s default port).
 */
function knownWebUi(): WebUi | undefined {
  const stored = view?.state.webUi ?? undefined;
  if (target?.origin === undefined || !target.page.webUi) return stored;
  const same = stored?.origin === target.origin ? stored : undefined;
  return {
    origin: target.origin,
    api: target.page.api ?? same?.api ?? null,
    traces: target.page.traces ?? same?.traces ?? null,
  };
}

/** Said with a link to the web UI when the popup does not know where the tester's web UI is. */
function defaultPortNote(webUi: WebUi | undefined): string | undefined {
  return webUi ? undefined : `assumes its default port, ${new URL(LOCAL_WEB_UI).port}`;
}

// ---- rendering ---------------------------------------------------------------------------------

function render(next: View): void {
  view = next;
  renderStatus(next);
  renderOrigins(next);
  renderAddCurrent(next);
  renderCheckOrigins(next);
  element<HTMLButtonElement>('turn-on').textContent = next.injecting ? 'Apply' : 'Turn on';
  element<HTMLButtonElement>('turn-off').disabled = !next.state.enabled;
  renderServedHops();
}

function renderStatus({ state, injecting }: View): void {
  const status = element('status');
  if (injecting && state.expiresAt !== null) {
    status.dataset.state = 'on';
    status.textContent = `On: X-Canary ${state.pr} to ${countOrigins(state.origins.length)} until ${clock(state.expiresAt)}`;
  } else if (state.expiredAt !== null) {
    status.dataset.state = 'expired';
    status.textContent = `Off: expired at ${clock(state.expiredAt)}`;
  } else {
    status.dataset.state = 'off';
    status.textContent = 'Off: nothing is sent';
  }
  const webUi = knownWebUi();
  const link = injecting ? verdictLink(state.pr, webUi?.origin) : undefined;
  element('verdict-link-box').hidden = link === undefined;
  const anchor = element<HTMLAnchorElement>('verdict-link');
  if (link) {
    anchor.href = link;
    const note = defaultPortNote(webUi);
    anchor.textContent = `PR ${state.pr}'s verdict and route in the local web UI${note ? ` (${note})` : ''}`;
  }
}

function countOrigins(count: number): string {
  return count === 1 ? '1 origin' : `${count} origins`;
}

function clock(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString();
}

function fillSettings({ state }: View): void {
  element<HTMLInputElement>('pr').value = state.pr ?? '';
  element<HTMLInputElement>('expiry-hours').value = String(state.expiryHours);
}

function renderOrigins({ state }: View): void {
  const list = element('origins');
  list.replaceChildren(...state.origins.map(originRow));
  for (const origin of state.origins) void markMissingAccess(origin);
}

function originRow(origin: string): HTMLLIElement {
  const row = document.createElement('li');
  row.className = 'origin-row';
  row.dataset.origin = origin;
  const input = document.createElement('input');
  input.className = 'origin-value';
  input.value = origin;
  input.setAttribute('aria-label', `Origin ${origin}`);
  const save = button('Save', 'save-origin', () => replaceOrigin(origin, input.value));
  save.setAttribute('aria-label', `Save ${origin}`);
  const remove = button('Remove', 'remove-origin', () => runCommand({ type: 'remove-origin', origin }));
  remove.setAttribute('aria-label', `Remove ${origin}`);
  row.append(input, save, remove);
  return row;
}

function button(label: string, className: string, onClick: () => Promise<unknown>): HTMLButtonElement {
  const created = document.createElement('button');
  created.type = 'button';
  created.className = className;
  created.textContent = label;
  created.addEventListener('click', () => void guard(onClick));
  return created;
}

/**
 * Flags an origin the extension cannot reach (access taken away on chrome://extensions), or cannot
 * reach over WebSockets (added by a version that did not ask for ws:// access): Chrome then ignores
 * that rule.
 */
async function markMissingAccess(origin: string): Promise<void> {
  const [page, webSocket] = await Promise.all(
    permissionPatternsFor(origin).map((pattern) => chrome.permissions.contains({ origins: [pattern] })),
  );
  const row = [...element('origins').children].find(
    (child) => (child as HTMLElement).dataset.origin === origin,
  );
  if ((page && webSocket) || !row) return;
  const note = document.createElement('span');
  note.className = 'no-access';
  if (page) {
    const [, webSocketOrigin] = schemesOf(origin);
    note.textContent = 'no WebSocket access';
    note.title = `WebSockets to ${webSocketOrigin} get no X-Canary: remove this origin and add it again to allow them`;
  } else {
    note.textContent = 'no access';
    note.title = 'Chrome no longer lets the extension reach this origin: remove it and add it again';
  }
  row.append(note);
}

function isCovered(origins: readonly string[], origin: string): boolean {
  return origins.some((entry) => entryCovers(entry, origin));
}

/** This page's origin and the origins it called that are not chosen yet: what one click adds. */
function originsToAdd({ state }: View): { page: string | undefined; apis: string[] } {
  const page = target?.origin;
  return {
    page: page !== undefined && !isCovered(state.origins, page) ? page : undefined,
    apis: (target?.calledOrigins ?? []).filter((origin) => !isCovered(state.origins, origin)),
  };
}

function renderAddCurrent(current: View): void {
  const box = element('add-current-box');
  const add = element<HTMLButtonElement>('add-current');
  const { page, apis } = originsToAdd(current);
  box.hidden = page === undefined && apis.length === 0;
  add.textContent =
    apis.length === 0
      ? 'Add this page'
      : page === undefined
        ? 'Add the API this page calls'
        : 'Add this page and the API it calls';
  const items = [
    ...(page === undefined ? [] : [[page, 'this page']]),
    ...apis.map((origin) => [origin, 'called by this page']),
  ].map(([origin, role]) => {
    const item = document.createElement('li');
    item.dataset.origin = origin;
    item.textContent = `${origin} (${role})`;
    return item;
  });
  element('add-current-origins').replaceChildren(...items);
}

/** Origins /api/route can be asked on: the exact ones, and the one a wildcard's last response came from. */
function checkableOrigins({ state }: View): string[] {
  const origins = state.origins.filter((entry) => !isWildcard(entry));
  if (lastChain && isCovered(state.origins, lastChain.origin) && !origins.includes(lastChain.origin)) {
    origins.push(lastChain.origin);
  }
  return origins;
}

function renderCheckOrigins(current: View): void {
  const select = element<HTMLSelectElement>('check-origin');
  const previous = select.value;
  const origins = checkableOrigins(current);
  select.replaceChildren(
    ...origins.map((origin) => {
      const option = document.createElement('option');
      option.value = origin;
      option.textContent = origin;
      return option;
    }),
  );
  const preferred = origins.includes(previous) ? previous : apiOriginAmong(origins);
  if (preferred !== undefined) select.value = preferred;
  element<HTMLButtonElement>('check').disabled = origins.length === 0;
}

/**
 * The origin /api/route is most likely asked on: the web UI's API, else one that is not the page in
 * the tab, the web UI or its trace receiver (those answer 404), else the first.
 */
function apiOriginAmong(origins: readonly string[]): string | undefined {
  const webUi = knownWebUi();
  if (webUi?.api && origins.includes(webUi.api)) return webUi.api;
  const notApis = [target?.origin, webUi?.origin, webUi?.traces, target?.page.traces];
  return origins.find((origin) => !notApis.includes(origin)) ?? origins[0];
}

function renderHops(listId: string, hops: readonly HopView[], pr: string | null): void {
  element(listId).replaceChildren(...hops.map((hop) => hopItem(hop, pr)));
}

function hopItem(hop: HopView, pr: string | null): HTMLLIElement {
  const item = document.createElement('li');
  item.className = hop.canary ? 'canary' : 'stable';
  if (pr !== null && !hop.onChosenPr) item.classList.add('off-pr');
  const verdict = pr === null ? '' : hop.onChosenPr ? ` — on PR ${pr}` : ` — not on PR ${pr}`;
  item.textContent = `${hop.service}: ${hop.track} ${hop.version}${verdict}`;
  return item;
}

/**
 * The last chain's hops, judged against the PR only while it is sent: turned off (or expired), a hop
 * on stable is no news. Drawn again whenever the state changes.
 */
function renderServedHops(): void {
  if (!lastChain) return;
  const sentPr = view?.injecting ? view.state.pr : null;
  renderHops('served-by-hops', describeHops(lastChain.hops, sentPr), sentPr);
}

async function renderServedBy(): Promise<void> {
  if (!target) return;
  const key = servedByStorageKey(target.id);
  const chain = parseStoredChain((await chrome.storage.session.get(key))[key]);
  lastChain = chain;
  const summary = element('served-by-summary');
  renderKeyCheck(chain);
  if (!chain) {
    summary.textContent = 'Nothing seen from a chosen origin in this tab yet.';
    element('served-by-hops').replaceChildren();
    renderTrace(undefined);
    return;
  }
  summary.textContent = `Last X-Served-By from ${chain.origin} at ${clock(chain.observedAt)}:`;
  renderServedHops();
  renderTrace(chain);
  if (view) renderCheckOrigins(view);
  const select = element<HTMLSelectElement>('check-origin');
  if (view && checkableOrigins(view).includes(chain.origin)) select.value = chain.origin;
}

/** The response's trace: a link to its waterfall in the local web UI, and the CLI line. */
function renderTrace(chain: ObservedChain | undefined): void {
  const line = element('served-by-trace');
  line.hidden = !chain?.traceId;
  if (!chain?.traceId) {
    line.replaceChildren();
    return;
  }
  const webUi = knownWebUi();
  const link = document.createElement('a');
  link.id = 'served-by-trace-link';
  link.href = waterfallUrl(chain.traceId, chain.sentCanary, webUi?.origin);
  link.target = '_blank';
  link.rel = 'noopener';
  link.textContent = 'Waterfall of this request';
  const cli = document.createElement('code');
  cli.textContent = traceCommand(chain.traceId, webUi?.traces ?? undefined);
  const note = defaultPortNote(webUi);
  line.replaceChildren(link, ` (local web UI${note ? `, ${note}` : ''}) · `, cli);
}

/** Did the API get the key this extension set? From the API's `X-Canary` echo on that response. */
function renderKeyCheck(chain: ObservedChain | undefined): void {
  const line = element('key-check');
  const verdict = chain ? describeKeyCheck(checkKey(chain)) : undefined;
  line.hidden = verdict === undefined;
  line.textContent = verdict?.text ?? '';
  line.dataset.level = verdict?.level ?? '';
}

function renderRouteReport(report: RouteReport, pr: string): void {
  const hops = describeHops(report.hops, pr);
  const landed = hops.filter((hop) => hop.onChosenPr).length;
  const failure =
    report.status >= 400 ? `HTTP ${report.status}${report.error ? `: ${report.error}` : ''}` : '';
  const problems = [failure, report.warning ?? ''].filter((text) => text !== '');
  const note = problems.length === 0 ? '' : ` (${problems.join('; ')})`;
  element('check-summary').textContent = `${landed} of ${hops.length} hop(s) on PR ${pr}${note}`;
  renderHops('check-hops', hops, pr);
}

// ---- actions -----------------------------------------------------------------------------------

async function guard(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    showMessage(error instanceof Error ? error.message : 'Something went wrong');
  }
}

async function turnOn(): Promise<void> {
  const field = element<HTMLInputElement>('pr');
  const pr = field.value;
  // Refused here too, so the field itself says so (as in the web UI); the worker checks it again.
  if (refusedField(field, prProblem(pr))) return;
  // The form has novalidate: the browser's own check would block the submit without a word here and
  // leave the last message (perhaps about the PR) standing; this one says what the worker would say.
  const expiryField = element<HTMLInputElement>('expiry-hours');
  const expiryHours = expiryField.value.trim() === '' ? Number.NaN : Number(expiryField.value);
  if (refusedField(expiryField, validateExpiryHours(expiryHours))) return;
  const accepted = await runCommand({ type: 'turn-on', pr, expiryHours });
  if (accepted && view) fillSettings(view);
}

/** Marks `field` by `problem` (or clears it); with a problem, says it and puts focus there: true. */
function refusedField(field: HTMLInputElement, problem: string | undefined): boolean {
  markInvalid(field, problem !== undefined);
  if (problem === undefined) return false;
  showMessage(problem);
  field.focus();
  return true;
}

/** Flags a field as invalid, tied to the message that says why, or clears that. */
function markInvalid(field: HTMLInputElement, invalid: boolean): void {
  if (invalid) {
    field.setAttribute('aria-invalid', 'true');
    field.setAttribute('aria-describedby', 'message');
  } else {
    field.removeAttribute('aria-invalid');
    field.removeAttribute('aria-describedby');
  }
}

/**
 * Asks for access to exactly these origins and their WebSocket schemes, in one prompt; the prompt needs
 * the click or key press that got us here.
 */
async function requestAccess(origins: readonly string[]): Promise<boolean> {
  const granted = await chrome.permissions.request({ origins: origins.flatMap(permissionPatternsFor) });
  if (!granted) showMessage(`Access to ${origins.join(', ')} was not granted, so nothing will be sent there`);
  return granted;
}

async function addOrigin(input: string): Promise<boolean> {
  const result = normalizeOrigin(input);
  if (!result.ok) {
    showMessage(result.message);
    return false;
  }
  if (!(await requestAccess([result.origin]))) return false;
  const added = await runCommand({ type: 'add-origin', origin: result.origin });
  if (added && result.assumedScheme) {
    showMessage(
      `Added ${result.origin} (no scheme was given, so ${result.assumedScheme}:// was assumed).`,
      'info',
    );
  } else if (added && isWildcard(result.origin)) {
    showMessage(`Added ${result.origin}: ${describeWildcard(result.origin)}.`, 'info');
  }
  return added;
}

/** "This page and the API it calls": the page's origin (Chrome only changes its requests when the
 * extension may access the page too) and every origin it called, in one permission prompt. */
async function addPageAndApi(): Promise<void> {
  if (!view) return;
  const { page, apis } = originsToAdd(view);
  const origins = [...(page === undefined ? [] : [page]), ...apis];
  if (origins.length === 0 || !(await requestAccess(origins))) return;
  const webUi = knownWebUi();
  const isThisPage = webUi !== undefined && webUi.origin === target?.origin;
  if (await runCommand({ type: 'add-origins', origins, ...(isThisPage ? { webUi } : {}) })) {
    showMessage(`Added ${origins.join(' and ')}.`, 'info');
  }
}

async function replaceOrigin(from: string, input: string): Promise<void> {
  const result = normalizeOrigin(input);
  if (!result.ok) return showMessage(result.message);
  if (result.origin === from) return;
  if (!(await requestAccess([result.origin]))) return;
  await runCommand({ type: 'replace-origin', from, to: result.origin });
}

async function check(): Promise<void> {
  const pr = view?.state.pr;
  const origin = element<HTMLSelectElement>('check-origin').value;
  if (!pr) return showMessage('Turn on a PR first');
  element('check-summary').textContent = `Checking ${origin}…`;
  element('check-hops').replaceChildren();
  const result = await checkRoute(origin, pr);
  if (!result.ok) {
    element('check-summary').textContent = result.message;
    return;
  }
  renderRouteReport(result.report, pr);
}

function wireEvents(): void {
  element<HTMLFormElement>('settings-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void guard(turnOn);
  });
  element('turn-off').addEventListener('click', () => void guard(() => runCommand({ type: 'turn-off' })));
  element<HTMLFormElement>('origin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = element<HTMLInputElement>('origin-input');
    void guard(async () => {
      if (await addOrigin(input.value)) input.value = '';
    });
  });
  element('add-current').addEventListener('click', () => void guard(addPageAndApi));
  element('check').addEventListener('click', () => void guard(check));
  chrome.storage.onChanged.addListener((_changes, area) => {
    if (area === 'session') void guard(renderServedBy);
    if (area === 'local') void guard(refresh);
  });
}

async function refresh(): Promise<void> {
  const response = await send({ type: 'get-view' });
  render(response.view);
}

async function start(): Promise<void> {
  wireEvents();
  target = await findTargetTab();
  const response = await send({ type: 'get-view' });
  render(response.view);
  fillSettings(response.view);
  await renderServedBy();
}

void guard(start);
