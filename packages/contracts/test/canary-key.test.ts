import { describe, expect, it } from 'vitest';
import {
  type CanaryKey,
  formatCanaryWarning,
  type InvalidReason,
  isTrack,
  parseCanaryKey,
  parseTrack,
  trackForKey,
} from '../src/canary-key';

const valid = (pr: string): CanaryKey => ({ kind: 'valid', pr });

describe('parseCanaryKey', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty list of values', []],
  ])('treats %s as absent', (_label, raw) => {
    expect(parseCanaryKey(raw)).toEqual({ kind: 'absent' });
  });

  it.each([
    ['1', '1'],
    ['42', '42'],
    ['999999999', '999999999'],
    [' 42\t', '42'],
    [['42'], '42'],
    [['42', '42'], '42'],
    ['42, 42', '42'],
    [['7, 7', ' 7 '], '7'],
    // As the route rule routes any number of equal lines to the PR, the key is that PR however many.
    [Array.from({ length: 40 }, () => '42'), '42'],
    [Array.from({ length: 40 }, () => '42').join(', '), '42'],
  ])('accepts %j as PR %s', (raw, pr) => {
    expect(parseCanaryKey(raw)).toEqual(valid(pr));
  });

  it('splits a value only where a transport joins repeated entries (", "): a bare comma is a list', () => {
    // One gRPC entry `42,42` is not routed to PR 42 by the mesh's exact match; read as 42 it would be
    // at the next hop. Two entries `42` arrive joined as `42, 42` and are 42, as they are routed.
    for (const value of ['42,42', '42,', ',42', '42 ,42', '7, 7,7'])
      expect(parseCanaryKey(value)).toMatchObject({ kind: 'invalid', reason: 'list' });
    expect(parseCanaryKey(['42', '42,42'])).toMatchObject({ reason: 'list' });
  });

  describe('header lines as received (lines: true), read as the edge route rule reads them', () => {
    it('accepts one PR number per line, on any number of equal lines', () => {
      expect(parseCanaryKey(['42'], { lines: true })).toEqual(valid('42'));
      expect(parseCanaryKey(['42', '42'], { lines: true })).toEqual(valid('42'));
      expect(
        parseCanaryKey(
          Array.from({ length: 17 }, () => '42'),
          { lines: true },
        ),
      ).toEqual(valid('42'));
    });

    it('refuses a comma-separated list on one line, even of equal numbers', () => {
      for (const line of ['42, 42', '42,42', '42,', '1, 2'])
        expect(parseCanaryKey([line], { lines: true })).toMatchObject({ kind: 'invalid', reason: 'list' });
      expect(parseCanaryKey(['42', '42,42'], { lines: true })).toMatchObject({ reason: 'list' });
    });
  });

  it.each<[string, string | string[], InvalidReason]>([
    ['empty string', '', 'empty'],
    ['only spaces', '   ', 'empty'],
    ['an empty joined entry', '42, ', 'empty'],
    ['letters', 'abc', 'not_digits'],
    ['digits and letters', '42a', 'not_digits'],
    ['a sign', '-1', 'not_digits'],
    ['non-ASCII digits', '٤٢', 'not_digits'],
    ['zero', '0', 'zero'],
    ['leading zeros', '042', 'leading_zero'],
    ['double zero', '00', 'leading_zero'],
    ['ten digits', '1234567890', 'too_long'],
    ['inner space', '4 2', 'whitespace'],
    ['inner tab', '4\t2', 'whitespace'],
    ['a NUL byte', '4\x002', 'control_chars'],
    ['DEL', '42\x7f', 'control_chars'],
    ['a newline', '42\n', 'control_chars'],
    ['two different values', ['1', '2'], 'conflicting_values'],
    ['comma-folded different values', '1, 2', 'conflicting_values'],
    ['a valid and an invalid value', ['42', 'x'], 'not_digits'],
    ['a 65 character value', '1'.repeat(65), 'too_long'],
    ['a 65 character value among short ones', ['42', ` ${'1'.repeat(64)}`], 'too_long'],
    ['a flood of empty values (stops at the first)', Array.from({ length: 100_000 }, () => ''), 'empty'],
  ])('rejects %s as %s', (_label, raw, reason) => {
    const key = parseCanaryKey(raw);
    expect(key).toMatchObject({ kind: 'invalid', reason });
  });

  it('rejects a 1 MB value as too_long', () => {
    expect(parseCanaryKey('9'.repeat(1024 * 1024))).toMatchObject({ kind: 'invalid', reason: 'too_long' });
  });

  it('never echoes the input in the message', () => {
    const hostile = 'evil\x00<script>';
    const key = parseCanaryKey(hostile);
    if (key.kind !== 'invalid') throw new Error('expected invalid');
    expect(key.message).not.toContain('evil');
    expect(key.message).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('formatCanaryWarning', () => {
  it('names the reason and says the request was served by stable, in ASCII', () => {
    const key = parseCanaryKey('abc');
    if (key.kind !== 'invalid') throw new Error('expected invalid');
    const warning = formatCanaryWarning(key);
    expect(warning).toBe(`invalid canary key (not_digits): ${key.message}; served by stable`);
    expect(warning).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('parseTrack and isTrack', () => {
  it.each(['stable', 'pr-1', 'pr-42', 'pr-999999999'])('accepts %s', (track) => {
    expect(parseTrack(track)).toBe(track);
    expect(isTrack(track)).toBe(true);
  });

  it.each(['', 'Stable', 'pr-', 'pr-0', 'pr-042', 'pr-1234567890', 'pr-4a', 'canary', ' stable'])(
    'rejects %j',
    (track) => {
      expect(() => parseTrack(track)).toThrow(/stable.*pr-<PR number>/);
      expect(isTrack(track)).toBe(false);
    },
  );
});

describe('trackForKey', () => {
  it('maps a valid key to its PR track and everything else to stable', () => {
    expect(trackForKey(valid('42'))).toBe('pr-42');
    expect(trackForKey({ kind: 'absent' })).toBe('stable');
    expect(trackForKey(parseCanaryKey('x'))).toBe('stable');
  });
});
