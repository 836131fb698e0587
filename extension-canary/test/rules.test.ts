import { describe, expect, it } from 'vitest';
import { INJECTED_RESOURCE_TYPES, rulesForState, WEBSOCKET_RESOURCE_TYPES } from '../src/rules';
import { type CanaryState, INITIAL_STATE, MAX_ORIGINS } from '../src/state';

const NOW = 1_800_000_000_000;
const active: CanaryState = {
  ...INITIAL_STATE,
  pr: '42',
  origins: ['https://api.example.com', 'http://localhost:8080'],
  enabled: true,
  expiresAt: NOW + 1000,
};

describe('rulesForState', () => {
  it('makes one set-header rule per origin and scheme (page, then WebSocket), anchored on scheme, host and port', () => {
    const rules = rulesForState(active, NOW);
    expect(rules.map((rule) => [rule.id, rule.condition.urlFilter, rule.condition.resourceTypes])).toEqual([
      [1, '|https://api.example.com/', [...INJECTED_RESOURCE_TYPES]],
      [2, '|wss://api.example.com/', ['websocket']],
      [3, '|http://localhost:8080/', [...INJECTED_RESOURCE_TYPES]],
      [4, '|ws://localhost:8080/', ['websocket']],
    ]);
    for (const rule of rules) {
      expect(rule.action).toEqual({
        type: 'modifyHeaders',
        requestHeaders: [{ header: 'X-Canary', operation: 'set', value: '42' }],
      });
      expect(rule.condition.requestDomains).toBeUndefined();
    }
  });

  it('covers a wildcard entry with requestDomains and a regex pinning scheme and port, for both schemes', () => {
    const rules = rulesForState({ ...active, origins: ['https://*.example.com:8443'] }, NOW);
    expect(rules.map((rule) => rule.condition)).toEqual([
      {
        requestDomains: ['example.com'],
        regexFilter: '^https://([a-z0-9_-]+\\.)*example\\.com:8443/',
        resourceTypes: [...INJECTED_RESOURCE_TYPES],
      },
      {
        requestDomains: ['example.com'],
        regexFilter: '^wss://([a-z0-9_-]+\\.)*example\\.com:8443/',
        resourceTypes: ['websocket'],
      },
    ]);
  });

  it(`stays at two rules per origin, with unique ids, for the most origins a tester can add (${MAX_ORIGINS})`, () => {
    const origins = Array.from({ length: MAX_ORIGINS }, (_, i) => `https://*.site-${i}.example.com`);
    const rules = rulesForState({ ...active, origins }, NOW);
    expect(rules).toHaveLength(2 * MAX_ORIGINS);
    expect(new Set(rules.map((rule) => rule.id)).size).toBe(rules.length);
  });

  it('lists navigations, frames and fetch/XHR explicitly; WebSockets only in the ws(s) rule', () => {
    expect(INJECTED_RESOURCE_TYPES).toEqual(
      expect.arrayContaining(['main_frame', 'sub_frame', 'xmlhttprequest']),
    );
    expect(INJECTED_RESOURCE_TYPES).not.toContain('websocket');
    expect(WEBSOCKET_RESOURCE_TYPES).toEqual(['websocket']);
  });

  it('makes no rules when off, expired, without a PR or without origins', () => {
    expect(rulesForState(INITIAL_STATE, NOW)).toEqual([]);
    expect(rulesForState({ ...active, enabled: false }, NOW)).toEqual([]);
    expect(rulesForState(active, NOW + 1000)).toEqual([]);
    expect(rulesForState({ ...active, pr: null }, NOW)).toEqual([]);
    expect(rulesForState({ ...active, origins: [] }, NOW)).toEqual([]);
  });
});
