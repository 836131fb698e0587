import { createHash } from 'node:crypto';
import { isItemId } from '@pr-canary/contracts/item-id';
import { InvalidPageTokenError } from './errors';

/**
 * ListItems page tokens are base64url(JSON({pk, sk, t})): the key the next page starts after, and
 * which table it is a key of. They are opaque to clients but come back from them, so every token is
 * checked on the way in: it must decode to exactly the key shape this table uses, made by this table,
 * or the request fails with INVALID_ARGUMENT instead of reaching DynamoDB. Every table (stable's and
 * each PR canary's) uses the same key shape, so without `t` a token of PR 42's list was taken by
 * stable's and silently skipped every item up to that id.
 */
export interface ListKey {
  pk: string;
  sk: string;
}

const MAX_TOKEN_LENGTH = 512;

/** A table's tag in its tokens: short, and no table name for clients to read. */
export function tableTag(table: string): string {
  return createHash('sha256').update(table).digest('base64url').slice(0, 12);
}

/** The token of `key` in the table whose tag (`tableTag`) is `tag`. */
export function encodePageToken(key: ListKey, tag: string): string {
  return Buffer.from(JSON.stringify({ pk: key.pk, sk: key.sk, t: tag }), 'utf8').toString('base64url');
}

/**
 * Decodes a token made by `encodePageToken` for the list partition `pk` of the table tagged `tag`;
 * throws InvalidPageTokenError.
 */
export function decodePageToken(token: string, pk: string, tag: string): ListKey {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new InvalidPageTokenError();
  }
  const key = parseJson(Buffer.from(token, 'base64url').toString('utf8'));
  if (!isListKey(key, pk, tag)) throw new InvalidPageTokenError();
  return { pk: key.pk, sk: key.sk };
}

/** Exactly `{pk, sk, t}` (no other key), `pk` this partition, `sk` an item id, `t` this table's tag. */
function isListKey(value: unknown, pk: string, tag: string): value is ListKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { pk: partition, sk, t, ...rest } = value as Record<string, unknown>;
  return (
    Object.keys(rest).length === 0 && partition === pk && t === tag && typeof sk === 'string' && isItemId(sk)
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
