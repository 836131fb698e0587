import { describe, expect, it } from 'vitest';
import { INJECTED_RESOURCE_TYPES, rulesForState } from '../src/rules';
import { type CanaryState, INITIAL_STATE } from '../src/state';

const NOW = 1_800_000_000_000;
const active: CanaryState = {
  ...INITIAL_STATE,
  pr: '42',
  origins: ['https://api.example.com', 'http://localhost:8080'],
  enabled: true,
  expiresAt: NOW + 1000,
};

describe('rulesForState', () => {
  it('makes one set-header rule per origin, anchored on scheme, host and port', () => {
    const rules = rulesForState(active, NOW);
    expect(rules.map((rule) => [rule.id, rule.condition.urlFilter])).toEqual([
      [1, '|https://api.example.com/'],
      [2, '|http://localhost:8080/'],
    ]);
    for (const rule of rules) {
      expect(rule.action).toEqual({
        type: 'modifyHeaders',
        requestHeaders: [{ header: 'X-Canary', operation: 'set', value: '42' }],
      });
      expect(rule.condition.resourceTypes).toEqual([...INJECTED_RESOURCE_TYPES]);
      expect(rule.condition.requestDomains).toBeUndefined();
    }
  });

  it('covers a wildcard entry with requestDomains and a regex pinning scheme and port', () => {
    const [rule] = rulesForState({ ...active, origins: ['https://*.example.com'] }, NOW);
    expect(rule?.condition).toMatchObject({
      requestDomains: ['example.com'],
      regexFilter: '^https://([a-z0-9_-]+\\.)*example\\.com/',
    });
    expect(rule?.condition.urlFilter).toBeUndefined();
  });

  it('lists navigations, frames and fetch/XHR explicitly', () => {
    expect(INJECTED_RESOURCE_TYPES).toEqual(
      expect.arrayContaining(['main_frame', 'sub_frame', 'xmlhttprequest']),
    );
  });

  it('makes no rules when off, expired, without a PR or without origins', () => {
    expect(rulesForState(INITIAL_STATE, NOW)).toEqual([]);
    expect(rulesForState({ ...active, enabled: false }, NOW)).toEqual([]);
    expect(rulesForState(active, NOW + 1000)).toEqual([]);
    expect(rulesForState({ ...active, pr: null }, NOW)).toEqual([]);
    expect(rulesForState({ ...active, origins: [] }, NOW)).toEqual([]);
  });
});
