import { isItemId } from '@pr-canary/contracts/item-id';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newItemId } from '../src/ids';

describe('item ids', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('are lower-case UUIDv7 strings, the ids the contracts accept', () => {
    const id = newItemId();
    expect(isItemId(id)).toBe(true);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('carry their creation time in the first 48 bits', () => {
    vi.setSystemTime(Date.UTC(2030, 0, 1));
    const id = newItemId();
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(Date.UTC(2030, 0, 1));
  });

  it('sort in creation order, also within one millisecond and when the clock steps back', () => {
    const now = Date.UTC(2031, 0, 1);
    const ids: string[] = [];
    for (const at of [now, now, now, now - 5, now + 1]) {
      vi.setSystemTime(at);
      ids.push(newItemId());
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stay ordered when more than 4096 are made in one millisecond', () => {
    vi.setSystemTime(Date.UTC(2032, 0, 1));
    const ids = Array.from({ length: 5000 }, () => newItemId());
    expect([...ids].sort()).toEqual(ids);
  });
});
