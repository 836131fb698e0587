import { describe, expect, it } from 'vitest';
import {
  applyCommand,
  type CanaryState,
  type Command,
  DEFAULT_EXPIRY_HOURS,
  expireIfDue,
  INITIAL_STATE,
  isInjecting,
  MAX_ORIGINS,
  parseStoredState,
} from '../src/state';

const NOW = Date.parse('2026-11-22T09:00:00Z');
const HOUR = 3_600_000;
const API = 'https://api.example.com';
const WEB = 'https://web.example.com';

function apply(state: CanaryState, ...commands: Command[]): CanaryState {
  return commands.reduce((current, command) => {
    const result = applyCommand(current, command, NOW);
    if (!result.ok) throw new Error(`refused: ${result.message}`);
    return result.state;
  }, state);
}

function refusal(state: CanaryState, command: Command): string {
  const result = applyCommand(state, command, NOW);
  if (result.ok) throw new Error('expected a refusal');
  return result.message;
}

const withApi = apply(INITIAL_STATE, { type: 'add-origin', origin: API });
const on = apply(withApi, { type: 'turn-on', pr: '123', expiryHours: 8 });

describe('applyCommand', () => {
  it('starts off, with no PR, no origins and a working-day expiry', () => {
    expect(INITIAL_STATE).toMatchObject({ pr: null, origins: [], enabled: false, expiryHours: 8 });
    expect(DEFAULT_EXPIRY_HOURS).toBe(8);
    expect(isInjecting(INITIAL_STATE, NOW)).toBe(false);
  });

  it('turns on with a valid PR and an origin, expiring after the chosen hours', () => {
    expect(on).toMatchObject({ pr: '123', enabled: true, expiryHours: 8, expiresAt: NOW + 8 * HOUR });
    expect(isInjecting(on, NOW)).toBe(true);
  });

  it('refuses invalid PR numbers with the canary-key parser message', () => {
    expect(refusal(withApi, { type: 'turn-on', pr: 'abc', expiryHours: 8 })).toBe(
      'Invalid PR number: the canary key must be a PR number made of digits only',
    );
    expect(refusal(withApi, { type: 'turn-on', pr: '0', expiryHours: 8 })).toContain('must not be 0');
    expect(refusal(withApi, { type: 'turn-on', pr: '1 2', expiryHours: 8 })).toContain('whitespace');
    expect(refusal(withApi, { type: 'turn-on', pr: '', expiryHours: 8 })).toContain('empty');
  });

  it('refuses to turn on without an origin, or with unusable hours', () => {
    expect(refusal(INITIAL_STATE, { type: 'turn-on', pr: '1', expiryHours: 8 })).toBe(
      'Add at least one origin first',
    );
    for (const hours of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 24 * 7 + 1]) {
      expect(refusal(withApi, { type: 'turn-on', pr: '1', expiryHours: hours })).toContain('Expiry must be');
    }
  });

  it('accepts fractions of an hour', () => {
    const halfHour = apply(withApi, { type: 'turn-on', pr: '9', expiryHours: 0.5 });
    expect(halfHour.expiresAt).toBe(NOW + HOUR / 2);
  });

  it('turning off keeps the PR and origins for next time', () => {
    const off = apply(on, { type: 'turn-off' });
    expect(off).toMatchObject({ pr: '123', origins: [API], enabled: false, expiresAt: null });
    expect(isInjecting(off, NOW)).toBe(false);
  });

  it('adds normalised origins, and refuses bad ones', () => {
    expect(apply(INITIAL_STATE, { type: 'add-origin', origin: 'api.example.com' }).origins).toEqual([API]);
    expect(refusal(withApi, { type: 'add-origin', origin: 'ftp://api.example.com' })).toContain('http://');
  });

  it('says an origin is already in the list, however it is typed', () => {
    for (const origin of [API, 'HTTPS://API.example.com/x', 'api.example.com']) {
      expect(refusal(withApi, { type: 'add-origin', origin })).toBe(`${API} is already in the list`);
    }
    const local = apply(INITIAL_STATE, { type: 'add-origin', origin: 'http://127.0.0.1:48080' });
    expect(refusal(local, { type: 'add-origin', origin: '127.0.0.1:48080' })).toBe(
      'http://127.0.0.1:48080 is already in the list',
    );
  });

  it('adds the page and the API it calls in one command, or nothing when one is refused', () => {
    const both = apply(INITIAL_STATE, { type: 'add-origins', origins: [WEB, API, WEB] });
    expect(both.origins).toEqual([WEB, API]);
    expect(refusal(INITIAL_STATE, { type: 'add-origins', origins: [WEB, 'https://*'] })).toContain(
      'wildcard',
    );
    expect(apply(withApi, { type: 'add-origins', origins: [WEB, API] }).origins).toEqual([API, WEB]);
  });

  it('remembers which added origin is the web UI, until it is removed or replaced', () => {
    const webUi = { origin: WEB, api: API, traces: 'https://traces.example.com' };
    const added = apply(INITIAL_STATE, { type: 'add-origins', origins: [WEB, API], webUi });
    expect(added.webUi).toEqual(webUi);
    expect(apply(added, { type: 'remove-origin', origin: API }).webUi).toEqual(webUi);
    expect(apply(added, { type: 'remove-origin', origin: WEB }).webUi).toBeNull();
    expect(apply(added, { type: 'replace-origin', from: WEB, to: 'https://x.example.com' }).webUi).toBeNull();
    // Only an origin in the list can be the web UI.
    expect(apply(INITIAL_STATE, { type: 'add-origins', origins: [API], webUi }).webUi).toBeNull();
    expect(parseStoredState({ origins: [WEB], webUi }).webUi).toEqual(webUi);
    expect(parseStoredState({ origins: [API], webUi }).webUi).toBeNull();
    expect(parseStoredState({ origins: [WEB], webUi: { ...webUi, api: 'javascript:1' } }).webUi).toBeNull();
  });

  it(`holds at most ${MAX_ORIGINS} origins`, () => {
    let state = INITIAL_STATE;
    for (let port = 1; port <= MAX_ORIGINS; port++) {
      state = apply(state, { type: 'add-origin', origin: `http://localhost:${port}` });
    }
    expect(refusal(state, { type: 'add-origin', origin: 'http://localhost:9999' })).toContain('At most');
  });

  it('replaces an origin in place, refusing duplicates and unknown ones', () => {
    const two = apply(on, { type: 'add-origin', origin: WEB });
    const edited = apply(two, { type: 'replace-origin', from: API, to: 'http://localhost:8080' });
    expect(edited.origins).toEqual(['http://localhost:8080', WEB]);
    expect(refusal(two, { type: 'replace-origin', from: API, to: WEB })).toBe(
      'That origin is already in the list',
    );
    expect(refusal(two, { type: 'replace-origin', from: 'https://gone.example', to: WEB })).toContain(
      'no longer',
    );
  });

  it('turns off when the last origin is removed', () => {
    const empty = apply(on, { type: 'remove-origin', origin: API });
    expect(empty).toMatchObject({ origins: [], enabled: false, expiresAt: null });
  });
});

describe('expiry', () => {
  it('expires at its time, remembering when', () => {
    const expiresAt = on.expiresAt as number;
    expect(expireIfDue(on, expiresAt - 1)).toBe(on);
    const expired = expireIfDue(on, expiresAt);
    expect(expired).toMatchObject({ enabled: false, expiresAt: null, expiredAt: expiresAt });
    expect(isInjecting(on, expiresAt)).toBe(false);
  });

  it('lets an alarm that fires a little early count', () => {
    const expiresAt = on.expiresAt as number;
    expect(expireIfDue(on, expiresAt - 500, 1000).enabled).toBe(false);
  });

  it('ends a canary whose expiry lies beyond the longest allowed (clock set back, edited store)', () => {
    const clockSetBack = NOW - 30 * 24 * HOUR;
    expect(isInjecting(on, clockSetBack)).toBe(false);
    expect(expireIfDue(on, clockSetBack)).toMatchObject({
      enabled: false,
      expiresAt: null,
      expiredAt: clockSetBack,
    });
    const longest = apply(withApi, { type: 'turn-on', pr: '1', expiryHours: 24 * 7 });
    expect(expireIfDue(longest, NOW)).toBe(longest);
    expect(isInjecting(longest, NOW)).toBe(true);
  });

  it('turning on again clears the expired note', () => {
    const expired = expireIfDue(on, NOW + 9 * HOUR);
    expect(apply(expired, { type: 'turn-on', pr: '123', expiryHours: 1 }).expiredAt).toBeNull();
  });
});

describe('parseStoredState', () => {
  it('round-trips a real state', () => {
    expect(parseStoredState(JSON.parse(JSON.stringify(on)))).toEqual(on);
  });

  it('falls back to safe values for anything unexpected', () => {
    expect(parseStoredState(undefined)).toEqual(INITIAL_STATE);
    expect(parseStoredState('on')).toEqual(INITIAL_STATE);
    const tampered = parseStoredState({
      pr: '12a',
      origins: [API, 'javascript:alert(1)', 42, API],
      enabled: true,
      expiryHours: 1e9,
      expiresAt: NOW + HOUR,
    });
    expect(tampered).toMatchObject({
      pr: null,
      origins: [API],
      enabled: false,
      expiryHours: 8,
      expiresAt: null,
    });
  });
});
