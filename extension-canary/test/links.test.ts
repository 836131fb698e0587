import { describe, expect, it } from 'vitest';
import { describePage, traceCommand, verdictLink, waterfallUrl } from '../src/links';

const ID = '0af7651916cd43dd8448eb211c80319c';

describe('verdictLink', () => {
  it('opens the local web UI with the PR chosen, at its verdict', () => {
    expect(verdictLink('42')).toBe('http://localhost:5173/?pr=42#verdict');
    expect(verdictLink('7', 'http://127.0.0.1:4173')).toBe('http://127.0.0.1:4173/?pr=7#verdict');
  });

  it('links nowhere without a valid PR', () => {
    expect(verdictLink(null)).toBeUndefined();
    expect(verdictLink('042')).toBeUndefined();
    expect(verdictLink('42"><script>')).toBeUndefined();
  });
});

describe('waterfallUrl', () => {
  it('opens the web UI the tester uses (default: npm start’s) with the trace and the PR', () => {
    expect(waterfallUrl(ID, '42')).toBe(`http://localhost:5173/?trace=${ID}&pr=42`);
    expect(waterfallUrl(ID, null)).toBe(`http://localhost:5173/?trace=${ID}`);
    expect(waterfallUrl(ID, '42', 'http://localhost:48173')).toBe(
      `http://localhost:48173/?trace=${ID}&pr=42`,
    );
  });
});

describe('traceCommand', () => {
  it('names the receiver with --url only when it is known and not the default', () => {
    expect(traceCommand(ID)).toBe(`npx pr-canary trace ${ID}`);
    expect(traceCommand(ID, 'http://localhost:4318')).toBe(`npx pr-canary trace ${ID}`);
    // The stack serves its receiver on 127.0.0.1: the same port as the CLI's default localhost.
    expect(traceCommand(ID, 'http://127.0.0.1:4318')).toBe(`npx pr-canary trace ${ID}`);
    expect(traceCommand(ID, 'http://[::1]:4318')).toBe(`npx pr-canary trace ${ID}`);
    expect(traceCommand(ID, 'http://127.0.0.1:44318')).toBe(
      `npx pr-canary trace ${ID} --url http://127.0.0.1:44318`,
    );
  });
});

describe('describePage', () => {
  it('recognises the web UI by the API it shows, and the trace receiver it read a waterfall from', () => {
    expect(
      describePage(' http://127.0.0.1:48080 ', [
        'http://localhost:48173/config.json',
        'http://127.0.0.1:48080/api/items?limit=20',
        `http://localhost:44318/api/traces/${ID}?waitMs=5000`,
      ]),
    ).toEqual({ webUi: true, api: 'http://127.0.0.1:48080', traces: 'http://localhost:44318' });
  });

  it('knows nothing of another page', () => {
    expect(describePage(undefined, ['https://api.example.com/api/traces/nope', 7])).toEqual({
      webUi: false,
      api: undefined,
      traces: undefined,
    });
    expect(describePage('…', []).webUi).toBe(false);
  });
});
