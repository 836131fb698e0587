import { describe, expect, it } from 'vitest';
import {
  hasUnsafeCharacter,
  isUnsafeCharCode,
  replaceUnsafeCharacters,
  UNSAFE_CHARACTER,
} from '../src/unsafe-text';

describe('unsafe characters', () => {
  it('are the same set for the scan and the pattern, over every UTF-16 code unit', () => {
    const differ: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const char = String.fromCharCode(code);
      if (isUnsafeCharCode(code) !== UNSAFE_CHARACTER.test(char)) differ.push(code.toString(16));
    }
    expect(differ).toEqual([]);
  });

  it('take in control characters, line separators and bidi controls, and leave text alone', () => {
    for (const char of [
      '\u0000',
      '\n',
      '\u001b',
      '\u007f',
      '\u009b',
      '\u2028',
      '\u2029',
      '\u200e',
      '\u202e',
      '\u2066',
    ])
      expect(hasUnsafeCharacter(`a${char}b`), JSON.stringify(char)).toBe(true);
    for (const text of ['GET /api/items/:id', 'Grüße – ok', '价格 😀', ''])
      expect(hasUnsafeCharacter(text), text).toBe(false);
    expect(replaceUnsafeCharacters('a\u001b[2Jb\u202ec', '?')).toBe('a?[2Jb?c');
    const clean = 'nothing to replace';
    expect(replaceUnsafeCharacters(clean)).toBe(clean);
  });
});
