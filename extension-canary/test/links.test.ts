import { describe, expect, it } from 'vitest';
import { verdictLink } from '../src/links';

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
