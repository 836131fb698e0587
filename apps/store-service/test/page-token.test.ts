import { describe, expect, it } from 'vitest';
import { InvalidPageTokenError } from '../src/errors';
import { newItemId } from '../src/ids';
import { decodePageToken, encodePageToken, tableTag } from '../src/page-token';

const token = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('page tokens', () => {
  it('give back the key they were made from', () => {
    const key = { pk: 'ITEM', sk: newItemId() };
    expect(decodePageToken(encodePageToken(key, tableTag('items')), 'ITEM', tableTag('items'))).toEqual(key);
  });

  it("refuses another table's token: every table's keys look alike", () => {
    const key = { pk: 'ITEM', sk: newItemId() };
    const prTable = 'pr-canary-items-pr-42';
    expect(() =>
      decodePageToken(encodePageToken(key, tableTag(prTable)), 'ITEM', tableTag('pr-canary-items')),
    ).toThrow(InvalidPageTokenError);
    expect(() => decodePageToken(token(key), 'ITEM', tableTag(prTable))).toThrow(InvalidPageTokenError);
  });

  it.each([
    ['another partition', { pk: 'OTHER', sk: newItemId() }],
    ['a sort key that is no item id', { pk: 'ITEM', sk: 'x', t: tableTag('items') }],
    [
      'a key DynamoDB would not return (an extra attribute)',
      { pk: 'ITEM', sk: newItemId(), t: tableTag('items'), gsi: 'x' },
    ],
    ['a missing sort key', { pk: 'ITEM', t: tableTag('items') }],
    ['an array', ['ITEM', newItemId()]],
    ['a number', 7],
    ['null', null],
  ])('refuses a token of %s before it reaches DynamoDB', (_what, value) => {
    expect(() => decodePageToken(token(value), 'ITEM', tableTag('items'))).toThrow(InvalidPageTokenError);
  });

  it('refuses text that is no token at all', () => {
    expect(() => decodePageToken('not base64url!', 'ITEM', tableTag('items'))).toThrow(InvalidPageTokenError);
    expect(() => decodePageToken(Buffer.from('{').toString('base64url'), 'ITEM', tableTag('items'))).toThrow(
      InvalidPageTokenError,
    );
    expect(() => decodePageToken('A'.repeat(513), 'ITEM', tableTag('items'))).toThrow(InvalidPageTokenError);
  });
});
