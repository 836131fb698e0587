import { z } from 'zod';
import { InvalidPageTokenError } from './errors';
import { isItemId } from './ids';

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
  const schema = z.strictObject({ pk: z.literal(pk), sk: z.string().refine(isItemId) });
  const parsed = schema.safeParse(parseJson(Buffer.from(token, 'base64url').toString('utf8')));
  if (!parsed.success) {
    throw new InvalidPageTokenError();
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
