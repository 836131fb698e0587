import { describe, expect, it } from 'vitest';
import { formatPrice, formatTimestamp, parsePrice, priceInputValue } from '../src/format';

describe('prices', () => {
  it('formats cents as a two-decimal amount', () => {
    expect(formatPrice(0)).toBe('0.00');
    expect(formatPrice(1205)).toBe('12.05');
    expect(formatPrice(123456789)).toBe('1,234,567.89');
    expect(priceInputValue(123456789)).toBe('1234567.89');
  });

  it.each([
    ['12', 1200],
    ['12.5', 1250],
    ['12.50', 1250],
    ['12,05', 1205],
    [' 0 ', 0],
  ])('parses %j as %i cents', (raw, cents) => {
    expect(parsePrice(raw)).toEqual({ ok: true, priceCents: cents });
  });

  it.each([['-1'], ['1.234'], ['1e3'], ['abc'], [''], ['1,000.00']])('rejects %j', (raw) => {
    expect(parsePrice(raw).ok).toBe(false);
  });

  it('takes every price the API takes, and says when one is larger', () => {
    expect(parsePrice('90071992547409.91')).toEqual({ ok: true, priceCents: Number.MAX_SAFE_INTEGER });
    expect(parsePrice('90071992547409.92')).toEqual({ ok: false, message: 'That price is too large.' });
    expect(parsePrice('999999999999999').ok).toBe(false);
  });

  it('round-trips what the edit form shows', () => {
    for (const cents of [0, 1, 99, 100, 123456, 99_999_999_999_99, Number.MAX_SAFE_INTEGER]) {
      expect(parsePrice(priceInputValue(cents))).toEqual({ ok: true, priceCents: cents });
    }
  });
});

describe('formatTimestamp', () => {
  it('keeps text that is not a timestamp as it is', () => {
    expect(formatTimestamp('not a date')).toBe('not a date');
    expect(formatTimestamp('2026-11-22T03:00:00Z')).not.toBe('2026-11-22T03:00:00Z');
  });
});
