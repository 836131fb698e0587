import { isItemId } from '@pr-canary/contracts/item-id';
import { InvalidPageTokenError } from './errors';

/**
 * ListItems page tokens are base64url(JSON(LastEvaluatedKey)). They are opaque to clients but
 * come back from them, so every token is checked on the way in: it must decode to exactly the key
 * shape this table uses, or the request fails with INVALID_ARGUMENT instead of reaching DynamoDB.
 */
export interface ListKey {
  pk: string;
  sk: string;
}

const MAX_TOKEN_LENGTH = 512;

export function encodePageToken(key: ListKey): string {
  return Buffer.from(JSON.stringify({ pk: key.pk, sk: key.sk }), 'utf8').toString('base64url');
}

/** Decodes a token made by `encodePageToken` for the list partition `pk`; throws InvalidPageTokenError. */
export function decodePageToken(token: string, pk: string): ListKey {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new InvalidPageTokenError();
  }
  const key = parseJson(Buffer.from(token, 'base64url').toString('utf8'));
  if (!isListKey(key, pk)) throw new InvalidPageTokenError();
  return { pk: key.pk, sk: key.sk };
}

/** Exactly `{pk, sk}` (no other key), `pk` this partition, `sk` an item id. */
function isListKey(value: unknown, pk: string): value is ListKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { pk: partition, sk, ...rest } = value as Record<string, unknown>;
  return Object.keys(rest).length === 0 && partition === pk && typeof sk === 'string' && isItemId(sk);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
