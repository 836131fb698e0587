/**
 * JSON schemas of every request part and response body (the `/api/route` report's is the contracts'
 * `routeReportJsonSchema`). Unknown properties are refused (the app's
 * Ajv runs with removeAdditional off), and no type coercion happens: query strings stay strings.
 */
import {
  ITEM_DESCRIPTION_MAX_LENGTH,
  ITEM_NAME_MAX_LENGTH,
  ITEM_NAME_RULE,
  ITEM_NAME_SOURCE,
} from '@pr-canary/contracts/item-fields';
import { ITEM_ID_RULE, ITEM_ID_SOURCE } from '@pr-canary/contracts/item-id';

export const PAGE_SIZE_DEFAULT = 20;
/** The largest page `limit` asks for (and the smallest is 1). */
export const PAGE_SIZE_MAX = 100;

/** The store's id rule (the contracts'): an id it could never have made is refused before calling it. */
const itemId = { type: 'string', pattern: ITEM_ID_SOURCE } as const;

/** The query of an `/api/` route that takes none: a parameter is refused, as on the list route, not ignored. */
export const noQuerySchema = { type: 'object', additionalProperties: false, properties: {} } as const;

export const itemParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: itemId },
} as const;

export const listQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** 1..PAGE_SIZE_MAX, written in digits (query strings are not coerced). */
    limit: { type: 'string', pattern: '^(100|[1-9][0-9]?)$' },
    cursor: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9_=.~+/-]+$' },
  },
} as const;

/** Body of POST (create) and PUT (full replacement); `description` defaults to "". */
export const itemBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'priceCents'],
  properties: {
    /** The store's rule (contracts' item-fields): a visible character, none that breaks a line or a page. */
    name: { type: 'string', maxLength: ITEM_NAME_MAX_LENGTH, pattern: ITEM_NAME_SOURCE },
    description: { type: 'string', maxLength: ITEM_DESCRIPTION_MAX_LENGTH, default: '' },
    priceCents: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  },
} as const;

export const itemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'description', 'priceCents', 'version', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    priceCents: { type: 'integer' },
    version: { type: 'integer' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

export const itemsPageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['items', 'nextCursor'],
  properties: {
    items: { type: 'array', items: itemSchema },
    nextCursor: { type: ['string', 'null'] },
  },
} as const;

/** What the api says of a cursor it cannot page from (its pattern refused, or the store did not make it). */
export const CURSOR_RULE = 'is not a nextCursor this api returned';

/**
 * What a field's `pattern` asks for, in the api's words: a value that does not match gets
 * `<field> <rule>` (`querystring/limit must be a whole number between 1 and 100`) instead of a
 * vague "not in the expected format". Keyed by the field as a validation message names it.
 */
export const PATTERN_RULES: Readonly<Record<string, string>> = {
  'querystring/limit': `must be a whole number between 1 and ${PAGE_SIZE_MAX}`,
  'querystring/cursor': CURSOR_RULE,
  'params/id': ITEM_ID_RULE,
  'body/name': ITEM_NAME_RULE,
};
