import { describe, expect, it } from 'vitest';
import { parsePopupRequest } from '../src/messages';

describe('parsePopupRequest', () => {
  it('accepts the popup requests', () => {
    expect(parsePopupRequest({ type: 'get-view' })).toEqual({ type: 'get-view' });
    const turnOn = { type: 'command', command: { type: 'turn-on', pr: '12', expiryHours: 8 } };
    expect(parsePopupRequest(turnOn)).toEqual(turnOn);
    const replace = {
      type: 'command',
      command: { type: 'replace-origin', from: 'http://a', to: 'http://b' },
    };
    expect(parsePopupRequest(replace)).toEqual(replace);
    const batch = { type: 'command', command: { type: 'add-origins', origins: ['http://a', 'http://b'] } };
    expect(parsePopupRequest(batch)).toEqual(batch);
    const webUi = { origin: 'http://localhost:48173', api: 'http://127.0.0.1:48080', traces: null };
    const withWebUi = { type: 'command', command: { type: 'add-origins', origins: ['http://a'], webUi } };
    expect(parsePopupRequest(withWebUi)).toEqual(withWebUi);
  });

  it('drops extra fields', () => {
    const raw = { type: 'command', command: { type: 'turn-off', evil: true }, extra: 1 };
    expect(parsePopupRequest(raw)).toEqual({ type: 'command', command: { type: 'turn-off' } });
  });

  it('rejects anything else', () => {
    for (const raw of [
      null,
      'get-view',
      { type: 'eval' },
      { type: 'command' },
      { type: 'command', command: { type: 'turn-on', pr: 12, expiryHours: 8 } },
      { type: 'command', command: { type: 'turn-on', pr: '12', expiryHours: '8' } },
      { type: 'command', command: { type: 'add-origin', origin: 'x'.repeat(5000) } },
      { type: 'command', command: { type: 'remove-origin' } },
      { type: 'command', command: { type: 'add-origins', origins: 'http://a' } },
      { type: 'command', command: { type: 'add-origins', origins: [1] } },
      { type: 'command', command: { type: 'add-origins', origins: Array(33).fill('http://a') } },
      { type: 'command', command: { type: 'add-origins', origins: [], webUi: { origin: 'http://*.a' } } },
    ]) {
      expect(parsePopupRequest(raw)).toBeUndefined();
    }
  });
});
