/**
 * Service worker: the single writer of the state. It turns the state into declarativeNetRequest rules,
 * the toolbar badge and the expiry alarm, and records the `X-Served-By` chain seen on chosen origins.
 * Listeners are registered synchronously at the top level so that Chrome can wake the worker for them
 * (all but the webRequest one, which Chrome only accepts once a host is granted; see below).
 */
import { type PopupResponse, parsePopupRequest, type View } from './messages';
import { originOfUrl, permissionPatternFor } from './origin';
import { INJECTED_RESOURCE_TYPES, rulesForState } from './rules';
import { chainFromHeaders, servedByStorageKey } from './served-by';
import {
  applyCommand,
  type CanaryState,
  type Command,
  expireIfDue,
  isInjecting,
  parseStoredState,
} from './state';

const STATE_KEY = 'state';
const EXPIRY_ALARM = 'canary-expiry';
/** An alarm may fire a moment before its time; it still means "expired". */
const ALARM_SLACK_MS = 1000;
const BADGE_COLOR = '#b45309';

let queue: Promise<unknown> = Promise.resolve();

/** Runs state changes one at a time, so a command and an alarm never interleave. */
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

async function loadState(): Promise<CanaryState> {
  const stored = await chrome.storage.local.get(STATE_KEY);
  return parseStoredState(stored[STATE_KEY]);
}

async function saveState(state: CanaryState): Promise<void> {
  await chrome.storage.local.set({ [STATE_KEY]: state });
}

/** Brings rules, badge and alarm in line with the stored state, expiring it first when due. */
function reconcile(slackMs = 0): Promise<View> {
  return exclusive(async () => {
    const now = Date.now();
    const stored = await loadState();
    const state = expireIfDue(stored, now, slackMs);
    if (state !== stored) await saveState(state);
    return applyState(state, now);
  });
}

function runCommand(command: Command): Promise<PopupResponse> {
  return exclusive(async () => {
    const now = Date.now();
    const stored = await loadState();
    const current = expireIfDue(stored, now);
    const result = applyCommand(current, command, now);
    const state = result.ok ? result.state : current;
    if (state !== stored) await saveState(state);
    const view = await applyState(state, now);
    await revokeUnusedHostAccess(state);
    return result.ok ? { ok: true, view } : { ok: false, message: result.message, view };
  });
}

async function applyState(state: CanaryState, now: number): Promise<View> {
  const injecting = isInjecting(state, now);
  await replaceRules(state, now);
  await showBadge(state, injecting);
  await scheduleExpiry(state, injecting);
  return { state, injecting };
}

/**
 * Session rules, not dynamic ones: Chrome drops them when the browser closes, so after a restart
 * nothing is injected until the worker has checked the expiry and re-derived them from the stored
 * state (dynamic rules would apply at once, even to an expired canary, while the worker starts).
 */
async function replaceRules(state: CanaryState, now: number): Promise<void> {
  const existing = await chrome.declarativeNetRequest.getSessionRules();
  await chrome.declarativeNetRequest.updateSessionRules({
    removeRuleIds: existing.map((rule) => rule.id),
    addRules: rulesForState(state, now),
  });
}

async function showBadge(state: CanaryState, injecting: boolean): Promise<void> {
  const text = injecting && state.pr !== null ? state.pr : '';
  const title = injecting
    ? `PR Canary: X-Canary ${state.pr} on ${state.origins.length} origin(s)`
    : 'PR Canary: off';
  await chrome.action.setBadgeBackgroundColor({ color: BADGE_COLOR });
  await chrome.action.setBadgeText({ text });
  await chrome.action.setTitle({ title });
}

async function scheduleExpiry(state: CanaryState, injecting: boolean): Promise<void> {
  if (injecting && state.expiresAt !== null) {
    await chrome.alarms.create(EXPIRY_ALARM, { when: state.expiresAt });
  } else {
    await chrome.alarms.clear(EXPIRY_ALARM);
  }
}

/**
 * Host access granted at runtime is kept for exactly the chosen origins: access to an origin the tester
 * removed (or replaced) is given back. Origins the manifest grants at install cannot be given back.
 */
async function revokeUnusedHostAccess(state: CanaryState): Promise<void> {
  const required = new Set(chrome.runtime.getManifest().host_permissions ?? []);
  const wanted = new Set(state.origins.map(permissionPatternFor));
  const granted = (await chrome.permissions.getAll()).origins ?? [];
  const unused = granted.filter((pattern) => !wanted.has(pattern) && !required.has(pattern));
  if (unused.length > 0) await chrome.permissions.remove({ origins: unused });
}

async function recordServedBy(details: chrome.webRequest.OnHeadersReceivedDetails): Promise<void> {
  if (details.tabId < 0) return;
  const origin = originOfUrl(details.url);
  const hops = chainFromHeaders(details.responseHeaders);
  if (origin === undefined || hops === undefined) return;
  const state = await loadState();
  if (!state.origins.includes(origin)) return;
  await chrome.storage.session.set({
    [servedByStorageKey(details.tabId)]: { origin, hops, observedAt: Date.now() },
  });
}

function isOwnPage(sender: chrome.runtime.MessageSender): boolean {
  return sender.id === chrome.runtime.id && (sender.url ?? '').startsWith(chrome.runtime.getURL(''));
}

chrome.runtime.onMessage.addListener((raw: unknown, sender, sendResponse) => {
  const request = isOwnPage(sender) ? parsePopupRequest(raw) : undefined;
  if (!request) return false;
  const reply =
    request.type === 'get-view'
      ? reconcile().then((view) => ({ ok: true, view }))
      : runCommand(request.command);
  reply.then(sendResponse, (error: unknown) => {
    console.error('pr-canary: could not apply the change', error);
    sendResponse(undefined);
  });
  return true;
});

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === EXPIRY_ALARM) void reconcile(ALARM_SLACK_MS);
});

// Browser start and install/update: re-derive the (session) rules, badge and alarm from the state.
chrome.runtime.onStartup.addListener(() => void reconcile());
chrome.runtime.onInstalled.addListener(() => void reconcile());

/**
 * Chrome only reports requests to origins the extension holds host access for (the chosen ones), and
 * refuses (with an error on chrome://extensions) a webRequest listener while it holds none at all. So the
 * listener is added once some origin is granted: at worker start, or when the tester grants the first one.
 * Being added after an await, it can miss the one response that woke the worker; the next is recorded.
 */
let observingServedBy = false;

async function observeServedByOnceGranted(): Promise<void> {
  const { origins = [] } = await chrome.permissions.getAll();
  if (observingServedBy || origins.length === 0) return;
  observingServedBy = true;
  chrome.webRequest.onHeadersReceived.addListener(
    (details) => void recordServedBy(details),
    {
      urls: ['http://*/*', 'https://*/*'],
      types: [...INJECTED_RESOURCE_TYPES] as chrome.webRequest.ResourceType[],
    },
    ['responseHeaders', 'extraHeaders'],
  );
}

void observeServedByOnceGranted();
chrome.permissions.onAdded.addListener(() => void observeServedByOnceGranted());

chrome.tabs.onRemoved.addListener((tabId) => void chrome.storage.session.remove(servedByStorageKey(tabId)));
