/**
 * The extension's whole state and the only way it changes. Pure: time is passed in, storage and
 * browser APIs live in background.ts. The service worker is the single writer; the popup sends commands.
 */
import { parseCanaryKey } from '@pr-canary/contracts/canary-key';
import { isWildcard, normalizeOrigin } from './origin';

/** A working day. */
export const DEFAULT_EXPIRY_HOURS = 8;
/** A week: long enough for any test session, short enough that a forgotten canary ends. */
const MAX_EXPIRY_HOURS = 24 * 7;
/**
 * A tester never needs more origins than this. Each takes two session rules (its page scheme and its
 * WebSocket scheme), so at most 40 rules, 40 of them regex rules when all are wildcards: far below
 * Chrome's limits (5000 session rules, 1000 regex rules; the load browser test installs that many).
 */
export const MAX_ORIGINS = 20;
const HOUR_MS = 60 * 60 * 1000;

export interface CanaryState {
  /** The PR number last chosen (kept while off, so turning on again is one click). */
  pr: string | null;
  /** Origins to inject on, in the order they were added. */
  origins: readonly string[];
  enabled: boolean;
  expiryHours: number;
  /** When injection turns itself off (epoch ms); null while off. */
  expiresAt: number | null;
  /** When injection last turned itself off by expiry (epoch ms), cleared by turning on. */
  expiredAt: number | null;
  /** The pr-canary web UI among the origins, when "Add this page and the API it calls" found it. */
  webUi: WebUi | null;
}

/** The local web UI the tester uses (`npm start -- --web-port N`) and what it calls. */
export interface WebUi {
  origin: string;
  /** Its API (config.json's `apiUrl`), null when unknown. */
  api: string | null;
  /** The trace receiver it read a waterfall from, null when unknown. */
  traces: string | null;
}

export const INITIAL_STATE: CanaryState = Object.freeze({
  pr: null,
  origins: Object.freeze([]),
  enabled: false,
  expiryHours: DEFAULT_EXPIRY_HOURS,
  expiresAt: null,
  expiredAt: null,
  webUi: null,
});

export type Command =
  | { type: 'turn-on'; pr: string; expiryHours: number }
  | { type: 'turn-off' }
  | { type: 'add-origin'; origin: string }
  | { type: 'add-origins'; origins: readonly string[]; webUi?: WebUi }
  | { type: 'replace-origin'; from: string; to: string }
  | { type: 'remove-origin'; origin: string };

export type CommandResult = { ok: true; state: CanaryState } | { ok: false; message: string };

/** Applies one command; refuses it (state unchanged) with a message a tester can act on. */
export function applyCommand(state: CanaryState, command: Command, now: number): CommandResult {
  switch (command.type) {
    case 'turn-on':
      return turnOn(state, command.pr, command.expiryHours, now);
    case 'turn-off':
      return accept({ ...state, enabled: false, expiresAt: null });
    case 'add-origin':
      return addOrigin(state, command.origin);
    case 'add-origins':
      return addOrigins(state, command.origins, command.webUi);
    case 'replace-origin':
      return replaceOrigin(state, command.from, command.to);
    case 'remove-origin':
      return removeOrigin(state, command.origin);
  }
}

function turnOn(state: CanaryState, rawPr: string, expiryHours: number, now: number): CommandResult {
  const key = parseCanaryKey(rawPr);
  if (key.kind !== 'valid') return refuse(prProblem(rawPr) ?? 'Enter a PR number');
  const hoursProblem = validateExpiryHours(expiryHours);
  if (hoursProblem) return refuse(hoursProblem);
  if (state.origins.length === 0) return refuse('Add at least one origin first');
  return accept({
    ...state,
    pr: key.pr,
    enabled: true,
    expiryHours,
    expiresAt: now + expiryHours * HOUR_MS,
    expiredAt: null,
  });
}

/** What is wrong with a typed PR number (the services' rules and messages), else undefined. */
export function prProblem(rawPr: string): string | undefined {
  const key = parseCanaryKey(rawPr);
  if (key.kind === 'valid') return undefined;
  return key.kind === 'invalid' ? `Invalid PR number: ${key.message}` : 'Enter a PR number';
}

/** A fixed message when the hours are not usable, else undefined. Fractions are fine (0.5 = 30 minutes). */
export function validateExpiryHours(hours: number): string | undefined {
  if (!Number.isFinite(hours) || hours <= 0 || hours > MAX_EXPIRY_HOURS) {
    return `Expiry must be more than 0 and at most ${MAX_EXPIRY_HOURS} hours`;
  }
  return undefined;
}

function addOrigin(state: CanaryState, input: string): CommandResult {
  const result = normalizeOrigin(input);
  if (!result.ok) return refuse(result.message);
  if (state.origins.includes(result.origin)) return refuse(`${result.origin} is already in the list`);
  if (state.origins.length >= MAX_ORIGINS) return refuse(`At most ${MAX_ORIGINS} origins`);
  return accept({ ...state, origins: [...state.origins, result.origin] });
}

/**
 * Several origins at once ("this page and the API it calls"): all of them (those already listed are
 * kept), or none with the reason. `webUi` remembers which of them is the web UI, and what it calls.
 */
function addOrigins(state: CanaryState, inputs: readonly string[], webUi?: WebUi): CommandResult {
  let next = state;
  for (const input of inputs) {
    const origin = normalizeOrigin(input);
    if (origin.ok && next.origins.includes(origin.origin)) continue;
    const result = addOrigin(next, input);
    if (!result.ok) return result;
    next = result.state;
  }
  const known = webUi === undefined ? undefined : parseWebUi(webUi);
  return accept(known && next.origins.includes(known.origin) ? { ...next, webUi: known } : next);
}

function replaceOrigin(state: CanaryState, from: string, input: string): CommandResult {
  const index = state.origins.indexOf(from);
  if (index < 0) return refuse('That origin is no longer in the list');
  const result = normalizeOrigin(input);
  if (!result.ok) return refuse(result.message);
  if (result.origin !== from && state.origins.includes(result.origin)) {
    return refuse('That origin is already in the list');
  }
  const origins = state.origins.map((origin, i) => (i === index ? result.origin : origin));
  return accept({ ...state, origins, webUi: state.webUi?.origin === from ? null : state.webUi });
}

function removeOrigin(state: CanaryState, origin: string): CommandResult {
  const origins = state.origins.filter((candidate) => candidate !== origin);
  const enabled = state.enabled && origins.length > 0;
  const webUi = state.webUi?.origin === origin ? null : state.webUi;
  return accept({ ...state, origins, enabled, expiresAt: enabled ? state.expiresAt : null, webUi });
}

/**
 * Turns injection off when its time is up (`slackMs` lets an alarm that fires a little early count),
 * and also when the expiry lies further ahead than any tester can choose: the clock was set back after
 * turning on (or the store was edited), and a forgotten canary must still end.
 */
export function expireIfDue(state: CanaryState, now: number, slackMs = 0): CanaryState {
  if (!state.enabled || state.expiresAt === null) return state;
  if (state.expiresAt > now + MAX_EXPIRY_HOURS * HOUR_MS) {
    return { ...state, enabled: false, expiresAt: null, expiredAt: now };
  }
  if (state.expiresAt > now + slackMs) return state;
  return { ...state, enabled: false, expiresAt: null, expiredAt: state.expiresAt };
}

/** Whether requests get the header right now: on, a PR, at least one origin, expiry ahead but in range. */
export function isInjecting(state: CanaryState, now: number): boolean {
  return (
    state.enabled &&
    state.pr !== null &&
    state.origins.length > 0 &&
    state.expiresAt !== null &&
    state.expiresAt > now &&
    state.expiresAt <= now + MAX_EXPIRY_HOURS * HOUR_MS
  );
}

/**
 * Reads what storage holds. Anything unexpected (another version, a hand edit) falls back to the
 * safe value for that field: off, no PR, no origins.
 */
export function parseStoredState(raw: unknown): CanaryState {
  if (typeof raw !== 'object' || raw === null) return INITIAL_STATE;
  const record = raw as Record<string, unknown>;
  const pr = typeof record.pr === 'string' ? parseCanaryKey(record.pr) : undefined;
  const origins = parseStoredOrigins(record.origins);
  const expiryHours =
    typeof record.expiryHours === 'number' && validateExpiryHours(record.expiryHours) === undefined
      ? record.expiryHours
      : DEFAULT_EXPIRY_HOURS;
  const expiresAt = finiteOrNull(record.expiresAt);
  const enabled = record.enabled === true && pr?.kind === 'valid' && origins.length > 0 && expiresAt !== null;
  const webUi = parseWebUi(record.webUi);
  return {
    pr: pr?.kind === 'valid' ? pr.pr : null,
    origins,
    enabled,
    expiryHours,
    expiresAt: enabled ? expiresAt : null,
    expiredAt: finiteOrNull(record.expiredAt),
    webUi: webUi && origins.includes(webUi.origin) ? webUi : null,
  };
}

/** A web UI record: exact (not wildcard) origins, or undefined. */
export function parseWebUi(raw: unknown): WebUi | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const record = raw as Record<string, unknown>;
  const origin = exactOrigin(record.origin);
  if (origin === undefined || origin === null) return undefined;
  const api = exactOrigin(record.api);
  const traces = exactOrigin(record.traces);
  if (api === undefined || traces === undefined) return undefined;
  return { origin, api, traces };
}

/** null for null, the origin for an exact origin, undefined for anything else. */
function exactOrigin(raw: unknown): string | null | undefined {
  if (raw === null) return null;
  const result = typeof raw === 'string' ? normalizeOrigin(raw) : undefined;
  return result?.ok && result.origin === raw && !isWildcard(result.origin) ? result.origin : undefined;
}

function parseStoredOrigins(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const origins: string[] = [];
  for (const item of raw) {
    const result = typeof item === 'string' ? normalizeOrigin(item) : undefined;
    if (result?.ok && !origins.includes(result.origin)) origins.push(result.origin);
    if (origins.length === MAX_ORIGINS) break;
  }
  return origins;
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function accept(state: CanaryState): CommandResult {
  return { ok: true, state };
}

function refuse(message: string): CommandResult {
  return { ok: false, message };
}
