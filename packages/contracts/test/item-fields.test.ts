import { describe, expect, it } from 'vitest';
import {
  characterCount,
  hasItemNameCharacters,
  hasVisibleCharacter,
  ITEM_NAME_SOURCE,
} from '../src/item-fields';

describe('item names', () => {
  it.each([
    ['a word', 'tea'],
    ['spaces around and inside', '  green tea  '],
    ['emoji', '😀'.repeat(200)],
    ['other scripts', 'חלב · 牛奶 · молоко'],
    ['a zero-width joiner inside an emoji sequence', '👩‍💻 desk'],
  ])('accepts %s', (_case, value) => {
    expect(hasItemNameCharacters(value)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['spaces only', '   '],
    ['NULs only', '\u0000\u0000'],
    ['zero-width spaces only', '\u200b\u200b'],
    ['a byte-order mark only', '\ufeff'],
    ['a right-to-left override only', '\u202e'],
    ['a no-break space only', '\u00a0'],
    ['a newline inside', 'tea\nparty'],
    ['a terminal escape inside', 'tea\u001b[31m'],
    ['a tab inside', 'tea\tparty'],
    ['a C1 control inside', 'tea\u0085'],
    ['a line separator inside', 'tea\u2028'],
    ['a right-to-left override inside', 'tea \u202egnp.exe'],
    ['a lone surrogate', '\ud800'],
  ])('refuses %s', (_case, value) => {
    expect(hasItemNameCharacters(value)).toBe(false);
  });

  it('reads names as long as a body can hold (the api checks the pattern before the length)', () => {
    const pattern = new RegExp(ITEM_NAME_SOURCE, 'u');
    for (const text of [' '.repeat(30_000), `${'a '.repeat(15_000)}\u0000`, `${' '.repeat(30_000)}\u202e`])
      expect(pattern.test(text)).toBe(false);
    expect(pattern.test(`${' '.repeat(30_000)}a`)).toBe(true);
  });

  it('tells a name with a visible character from one without', () => {
    expect(hasVisibleCharacter(' x ')).toBe(true);
    expect(hasVisibleCharacter(' \u200b\u00a0')).toBe(false);
  });
});

describe('characterCount', () => {
  it('counts characters as the limits do: an emoji or another astral character is one', () => {
    expect(characterCount('tea')).toBe(3);
    expect(characterCount('😀'.repeat(200))).toBe(200);
    expect('😀'.repeat(200).length).toBe(400);
    expect(characterCount('𝒳é')).toBe(2);
  });
});
