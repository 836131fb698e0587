import { describe, expect, it } from 'vitest';
import {
  formatServedBy,
  isServedByEntry,
  MAX_SERVED_BY_ENTRIES,
  parseServedBy,
  type ServedByEntry,
} from '../src/served-by';

const api: ServedByEntry = { service: 'api-service', track: 'pr-42', version: '0.4.0' };
const store: ServedByEntry = { service: 'store-service', track: 'stable', version: '0.4.0' };

describe('formatServedBy', () => {
  it('writes an RFC 8941 list with quoted track and version', () => {
    expect(formatServedBy([api, store])).toBe(
      'api-service;track="pr-42";version="0.4.0", store-service;track="stable";version="0.4.0"',
    );
  });

  it('writes an empty string for an empty chain', () => {
    expect(formatServedBy([])).toBe('');
  });

  it('escapes quotes and backslashes in strings', () => {
    expect(formatServedBy([{ service: 'svc', track: 'stable', version: 'a"b\\c' }])).toBe(
      'svc;track="stable";version="a\\"b\\\\c"',
    );
  });

  it.each<[string, ServedByEntry]>([
    ['a service that is not a token', { service: 'api service', track: 'stable', version: '1' }],
    ['a service starting with a digit', { service: '1api', track: 'stable', version: '1' }],
    ['a non-ASCII version', { service: 'api', track: 'stable', version: 'é' }],
    ['a newline in the track', { service: 'api', track: 'sta\nble', version: '1' }],
  ])('refuses %s', (_label, entry) => {
    expect(() => formatServedBy([entry])).toThrow(TypeError);
  });
});

describe('parseServedBy', () => {
  it('round-trips what formatServedBy writes', () => {
    const odd = { service: 'x-svc', track: 'pr-7', version: '1.0.0+build;"quoted", yes\\' };
    const chain = [api, store, odd];
    expect(parseServedBy(formatServedBy(chain))).toEqual(chain);
  });

  it('returns nothing for undefined or empty input', () => {
    expect(parseServedBy(undefined)).toEqual([]);
    expect(parseServedBy('')).toEqual([]);
  });

  it('accepts token parameter values, extra parameters and the spacing RFC 8941 allows', () => {
    expect(
      parseServedBy('  store-service; track=stable;version="1";zone="a" \t,api;track="pr-1";version=v2'),
    ).toEqual([
      { service: 'store-service', track: 'stable', version: '1' },
      { service: 'api', track: 'pr-1', version: 'v2' },
    ]);
  });

  it('skips members that are no served-by entry and keeps the rest in order', () => {
    const value = [
      'api-service;track="pr-42";version="0.4.0"',
      'no-params',
      'missing;track="stable"',
      '"quoted-name";track="stable";version="1"',
      'numeric;track=1;version="1"',
      '(inner list);track="stable";version="1"',
      `long;track="stable";version="${'9'.repeat(129)}"`,
      'store-service;track="stable";version="0.4.0"',
    ].join(', ');
    expect(parseServedBy(value)).toEqual([api, store]);
  });

  it.each([
    [
      'an unbalanced quote',
      `${formatServedBy([api])}, bad;track="open;version="1", ${formatServedBy([store])}`,
    ],
    ['a bad escape', `${formatServedBy([api])}, bad;track="a\\b";version="1"`],
    ['a parameter without a name', `${formatServedBy([api])}, bad;=x;track="stable";version="1"`],
    ['a trailing comma', `${formatServedBy([api])},`],
    ['a non-ASCII character', `${formatServedBy([api])}, caf\u00e9;track="stable";version="1"`],
  ])('ignores the whole value when it is no RFC 8941 list (%s), as RFC 8941 §4.2 says', (_label, value) => {
    expect(parseServedBy(value)).toEqual([]);
  });

  it('ignores values that are far too long and caps the number of entries', () => {
    expect(parseServedBy(`${formatServedBy([api])}, ${'x'.repeat(5000)}`)).toEqual([]);
    const many = formatServedBy(Array.from({ length: 40 }, () => store));
    expect(parseServedBy(many)).toHaveLength(MAX_SERVED_BY_ENTRIES);
  });
});

describe('isServedByEntry', () => {
  it('accepts an entry formatServedBy can write and nothing else', () => {
    expect(isServedByEntry(api)).toBe(true);
    expect(isServedByEntry({ ...store, track: 7 })).toBe(false);
    expect(isServedByEntry({ ...store, service: 'store service' })).toBe(false);
    expect(isServedByEntry(null)).toBe(false);
  });
});
