import { describe, expect, it } from 'vitest';
import {
  canaryHeaderValue,
  choiceLabel,
  initialChoice,
  parsePrInput,
  STABLE,
  urlWithChoice,
} from '../src/pr-choice';

describe('parsePrInput', () => {
  it('maps empty input to stable and a PR number to that PR', () => {
    expect(parsePrInput('  ')).toEqual({ ok: true, choice: STABLE });
    expect(parsePrInput('42')).toEqual({ ok: true, choice: { kind: 'pr', pr: '42' } });
    expect(parsePrInput(' 7 ')).toEqual({ ok: true, choice: { kind: 'pr', pr: '7' } });
  });

  it.each([['abc'], ['0'], ['042'], ['1234567890'], ['4 2'], ['1,2']])(
    'rejects %j with the parser message',
    (raw) => {
      const parsed = parsePrInput(raw);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok)
        expect(parsed.message).toMatch(
          /^Not a PR number: (the canary key|an X-Canary line must hold one PR number|several different)/,
        );
    },
  );
});

describe('initialChoice', () => {
  it('takes ?pr= over the remembered PR', () => {
    expect(initialChoice(new URLSearchParams('pr=42'), '7').choice).toEqual({ kind: 'pr', pr: '42' });
  });

  it('uses the remembered PR when the URL has none, and stable when neither has one', () => {
    expect(initialChoice(new URLSearchParams(''), '7').choice).toEqual({ kind: 'pr', pr: '7' });
    expect(initialChoice(new URLSearchParams(''), null)).toEqual({ choice: STABLE });
  });

  it('takes ?pr= given twice only when both name the same PR, as the API takes two X-Canary lines', () => {
    expect(initialChoice(new URLSearchParams('pr=42&pr=42'), '7').choice).toEqual({ kind: 'pr', pr: '42' });
    expect(initialChoice(new URLSearchParams('pr=42&pr=7'), '7')).toEqual({
      choice: STABLE,
      notice: 'Ignored the ?pr= parameter: it is given 2 times with different values. Using stable.',
    });
  });

  it('falls back to stable with a notice for an invalid ?pr=, never echoing it', () => {
    const start = initialChoice(new URLSearchParams('pr=<script>'), '7');
    expect(start.choice).toEqual(STABLE);
    expect(start.notice).toContain('?pr=');
    expect(start.notice).not.toContain('<script>');
  });
});

describe('urlWithChoice', () => {
  it('sets or removes ?pr= and keeps other parameters', () => {
    const withPr = urlWithChoice('http://web.test/?api=http%3A%2F%2Fa%3A1', { kind: 'pr', pr: '42' });
    expect(new URL(withPr).searchParams.get('pr')).toBe('42');
    expect(new URL(withPr).searchParams.get('api')).toBe('http://a:1');
    expect(new URL(urlWithChoice(withPr, STABLE)).searchParams.has('pr')).toBe(false);
  });
});

describe('labels and header value', () => {
  it('names the choice and gives the X-Canary value', () => {
    expect(choiceLabel({ kind: 'pr', pr: '42' })).toBe('PR 42');
    expect(choiceLabel(STABLE)).toBe('stable');
    expect(canaryHeaderValue({ kind: 'pr', pr: '42' })).toBe('42');
    expect(canaryHeaderValue(STABLE)).toBeNull();
  });
});
