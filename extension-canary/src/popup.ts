/**
 * The popup: choose a PR, the origins, the expiry; turn injection on and off; see who served the tab.
 * Every change goes to the service worker as a command; host access is asked for here, because
 * Chrome only shows the permission prompt in response to a click or key press.
 * Anything that came from a server is written with textContent, never as HTML.
 */
import type { PopupRequest, PopupResponse, View } from './messages';
import { normalizeOrigin, originOfUrl, permissionPatternFor } from './origin';
import { checkRoute, type RouteReport } from './route-check';
import { describeHops, type HopView, parseStoredChain, servedByStorageKey } from './served-by';
import type { Command } from './state';

interface TargetTab {
  id: number;
  origin: string | undefined;
}

let view: View | undefined;
let target: TargetTab | undefined;

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

function showMessage(text: string | undefined): void {
  const message = element('message');
  message.textContent = text ?? '';
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
  return { id: tab.id, origin: originOfUrl(tab.url) };
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
  const remove = button('Remove', 'remove-origin', () => runCommand({ type: 'remove-origin', origin }));
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

/** Flags an origin whose access was taken away (chrome://extensions): its rule is then ignored. */
async function markMissingAccess(origin: string): Promise<void> {
  const granted = await chrome.permissions.contains({ origins: [permissionPatternFor(origin)] });
  const row = [...element('origins').children].find(
    (child) => (child as HTMLElement).dataset.origin === origin,
  );
  if (granted || !row) return;
  const note = document.createElement('span');
  note.className = 'no-access';
  note.textContent = 'no access';
  note.title = 'Chrome no longer lets the extension reach this origin: remove it and add it again';
  row.append(note);
}

function renderAddCurrent({ state }: View): void {
  const add = element<HTMLButtonElement>('add-current');
  const origin = target?.origin;
  add.hidden = origin === undefined || state.origins.includes(origin);
  add.textContent = origin === undefined ? '' : `Add this tab: ${origin}`;
}

function renderCheckOrigins({ state }: View): void {
  const select = element<HTMLSelectElement>('check-origin');
  const previous = select.value;
  select.replaceChildren(
    ...state.origins.map((origin) => {
      const option = document.createElement('option');
      option.value = origin;
      option.textContent = origin;
      return option;
    }),
  );
  if (state.origins.includes(previous)) select.value = previous;
  element<HTMLButtonElement>('check').disabled = state.origins.length === 0;
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

async function renderServedBy(): Promise<void> {
  if (!target) return;
  const key = servedByStorageKey(target.id);
  const chain = parseStoredChain((await chrome.storage.session.get(key))[key]);
  const summary = element('served-by-summary');
  if (!chain) {
    summary.textContent = 'Nothing seen from a chosen origin in this tab yet.';
    element('served-by-hops').replaceChildren();
    return;
  }
  summary.textContent = `Last X-Served-By from ${chain.origin} at ${clock(chain.observedAt)}:`;
  renderHops('served-by-hops', describeHops(chain.hops, view?.state.pr ?? null), view?.state.pr ?? null);
  const select = element<HTMLSelectElement>('check-origin');
  if (view?.state.origins.includes(chain.origin)) select.value = chain.origin;
}

function renderRouteReport(report: RouteReport, pr: string): void {
  const hops = describeHops(report.hops, pr);
  const landed = hops.filter((hop) => hop.onChosenPr).length;
  const problems = [report.status >= 400 ? `HTTP ${report.status}` : '', report.warning ?? ''].filter(
    (text) => text !== '',
  );
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
  const pr = element<HTMLInputElement>('pr').value;
  const expiryHours = Number(element<HTMLInputElement>('expiry-hours').value);
  const accepted = await runCommand({ type: 'turn-on', pr, expiryHours });
  if (accepted && view) fillSettings(view);
}

/** Asks for access to exactly this origin; the prompt needs the click or key press that got us here. */
async function requestAccess(origin: string): Promise<boolean> {
  const granted = await chrome.permissions.request({ origins: [permissionPatternFor(origin)] });
  if (!granted) showMessage(`Access to ${origin} was not granted, so nothing will be sent there`);
  return granted;
}

async function addOrigin(input: string): Promise<boolean> {
  const result = normalizeOrigin(input);
  if (!result.ok) {
    showMessage(result.message);
    return false;
  }
  if (!(await requestAccess(result.origin))) return false;
  return runCommand({ type: 'add-origin', origin: result.origin });
}

async function replaceOrigin(from: string, input: string): Promise<void> {
  const result = normalizeOrigin(input);
  if (!result.ok) return showMessage(result.message);
  if (result.origin === from) return;
  if (!(await requestAccess(result.origin))) return;
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
  element('add-current').addEventListener('click', () => {
    const origin = target?.origin;
    if (origin !== undefined) void guard(() => addOrigin(origin));
  });
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
