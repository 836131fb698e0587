/**
 * Service worker: the single writer of the state. It turns the state into declarativeNetRequest rules,
 * the toolbar badge and the expiry alarm, and records the `X-Served-By` chain seen on chosen origins.
 * Listeners are registered synchronously at the top level so that Chrome can wake the worker for them
 * (all but the webRequest one, which Chrome only accepts once a host is granted; see below).
 */
import { type PopupResponse, parsePopupRequest, type View } from './messages';
import { entryCovers, originOfUrl, unusedPermissionPatterns } from './origin';
import { INJECTED_RESOURCE_TYPES, rulesForState } from './rules';
import {
  chainFromHeaders,
  checkKey,
  echoFromHeaders,
  type KeyCheck,
  type ObservedChain,
  SERVED_BY_PREFIX,
  servedByStorageKey,
  traceFromHeaders,
} from './served-by';
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
/** Chrome: "If tabId is specified and text is null, the text for the specified tab is cleared and
 * defaults to the global badge text" (@types/chrome's action types lack the null). */
const TAB_BADGE_RESET = null as unknown as string;

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
  await resetTabBadges();
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

/**
 * A tab's badge says what the API made of the key in that tab's last response (see `recordServedBy`).
 * When the state changes that is stale, so every tab goes back to the global badge.
 */
async function resetTabBadges(): Promise<void> {
  const stored = await chrome.storage.session.get(null);
  const tabIds = Object.keys(stored)
    .filter((key) => key.startsWith(SERVED_BY_PREFIX))
    .map((key) => Number(key.slice(SERVED_BY_PREFIX.length)))
    .filter((tabId) => Number.isSafeInteger(tabId) && tabId >= 0);
  await Promise.all(
    tabIds.map((tabId) =>
      chrome.action.setBadgeText({ tabId, text: TAB_BADGE_RESET }).catch(() => undefined),
    ),
  );
}

/**
 * "42✓" when the API confirmed the key this extension set, "!" when the key was changed, dropped or
 * set by something else (the popup says which), the global badge otherwise.
 */
async function showTabBadge(tabId: number, check: KeyCheck): Promise<void> {
  const text = check.kind === 'confirmed' ? `${check.pr}✓` : check.kind === 'none' ? TAB_BADGE_RESET : '!';
  await chrome.action.setBadgeText({ tabId, text });
}

async function scheduleExpiry(state: CanaryState, injecting: boolean): Promise<void> {
  if (injecting && state.expiresAt !== null) {
    await chrome.alarms.create(EXPIRY_ALARM, { when: state.expiresAt });
  } else {
    await chrome.alarms.clear(EXPIRY_ALARM);
  }
}

/**
 * Host access granted at runtime is kept for exactly the chosen origins (and their WebSocket schemes):
 * access to an origin the tester removed (or replaced) is given back, ws(s):// included. Origins the
 * manifest grants at install cannot be given back.
 */
async function revokeUnusedHostAccess(state: CanaryState): Promise<void> {
  const required = chrome.runtime.getManifest().host_permissions ?? [];
  const granted = (await chrome.permissions.getAll()).origins ?? [];
  const unused = unusedPermissionPatterns(granted, required, state.origins);
  if (unused.length > 0) await chrome.permissions.remove({ origins: unused });
}

/**
 * Records who served a tab's last response from a chosen origin, and whether the API received the key
 * this extension set: the API echoes the key it served under (`X-Canary`), so a different or missing
 * echo shows that something else set, changed or removed the key.
 */
async function recordServedBy(details: chrome.webRequest.OnHeadersReceivedDetails): Promise<void> {
  if (details.tabId < 0) return;
  const origin = originOfUrl(details.url);
  const hops = chainFromHeaders(details.responseHeaders);
  if (origin === undefined || hops === undefined) return;
  const state = await loadState();
  if (!state.origins.some((entry) => entryCovers(entry, origin))) return;
  const observedAt = Date.now();
  const chain: ObservedChain = {
    origin,
    hops,
    observedAt,
    sentCanary: isInjecting(state, observedAt) ? state.pr : null,
    echoedCanary: echoFromHeaders(details.responseHeaders),
    traceId: traceFromHeaders(details.responseHeaders),
  };
  await chrome.storage.session.set({ [servedByStorageKey(details.tabId)]: chain });
  await showTabBadge(details.tabId, checkKey(chain)).catch(() => undefined);
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
