import { describe, expect, it } from 'vitest';
import { ITEM_ID_LENGTH, isItemId } from '../src/item-id';

describe('item ids', () => {
  it.each([
    '01937a4e-4f1c-7000-8000-000000000000',
    '0190d6c4-1f5e-7b6e-8f3a-1c2d3e4f5a6b',
    'ffffffff-ffff-7fff-bfff-ffffffffffff',
  ])('accepts the lower-case UUIDv7 %s', (value) => {
    expect(value).toHaveLength(ITEM_ID_LENGTH);
    expect(isItemId(value)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['not a UUID', 'abc'],
    ['a UUIDv4', '01a2011f-418a-4000-a208-faabfd7a653c'],
    ['upper case', '01A2011F-418A-7000-A208-FAABFD7A653C'],
    ['a variant other than RFC 9562', '01a2011f-418a-7000-c208-faabfd7a653c'],
    ['the max UUID', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
    ['without hyphens', '01a2011f418a7000a208faabfd7a653c'],
    ['in braces', '{01a2011f-418a-7000-a208-faabfd7a653c}'],
    ['with a trailing newline', '01a2011f-418a-7000-a208-faabfd7a653c\n'],
    ['one character longer', '01a2011f-418a-7000-a208-faabfd7a653c0'],
  ])('refuses %s', (_case, value) => {
    expect(isItemId(value)).toBe(false);
  });
});
