import { type RouteReport, parseRouteReport as readRouteReport } from '@pr-canary/contracts/route-report';
import { ApiError } from './errors';

/** Response bodies are checked before use: the UI shows what the API said, or says that it made no sense. */

export interface Item {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ItemInput {
  name: string;
  description: string;
  priceCents: number;
}

export interface ItemPage {
  items: Item[];
  nextCursor: string | null;
}

type Json = Record<string, unknown>;

function badResponse(what: string): ApiError {
  return new ApiError(0, 'BAD_RESPONSE', `The API sent an unexpected response: ${what}.`);
}

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badResponse(`${what} is not an object`);
  return value as Json;
}

function string(fields: Json, key: string, what: string): string {
  const value = fields[key];
  if (typeof value !== 'string') throw badResponse(`${what}.${key} is not a string`);
  return value;
}

function nullableString(fields: Json, key: string, what: string): string | null {
  return fields[key] === null || fields[key] === undefined ? null : string(fields, key, what);
}

function integer(fields: Json, key: string, what: string, min: number): number {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw badResponse(`${what}.${key} is not an integer ≥ ${min}`);
  }
  return value;
}

export function parseItem(value: unknown): Item {
  const fields = object(value, 'item');
  return {
    id: string(fields, 'id', 'item'),
    name: string(fields, 'name', 'item'),
    description: nullableString(fields, 'description', 'item') ?? '',
    priceCents: integer(fields, 'priceCents', 'item', 0),
    version: integer(fields, 'version', 'item', 1),
    createdAt: string(fields, 'createdAt', 'item'),
    updatedAt: string(fields, 'updatedAt', 'item'),
  };
}

export function parseItemPage(value: unknown): ItemPage {
  const fields = object(value, 'item list');
  if (!Array.isArray(fields.items)) throw badResponse('item list.items is not an array');
  return {
    items: fields.items.map(parseItem),
    nextCursor: nullableString(fields, 'nextCursor', 'item list'),
  };
}

export type { RouteReport };

/** The `/api/route` body, by the one schema the api, the CLI and the extension share. */
export function parseRouteReport(value: unknown): RouteReport {
  const result = readRouteReport(value);
  if (!result.ok) throw badResponse(`route report ${result.problem}`);
  return result.value;
}
