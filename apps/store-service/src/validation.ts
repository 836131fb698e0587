import type {
  CreateItemRequest__Output,
  DeleteItemRequest__Output,
  GetItemRequest__Output,
  ListItemsRequest__Output,
  UpdateItemRequest__Output,
} from '@pr-canary/proto';
import { z } from 'zod';
import { isItemId } from './ids';
import type { ItemFields } from './items-repository';

/**
 * Request validation for every ItemsService method. A failure lists each bad field by its proto
 * name (`price_cents`, not `priceCents`) with fixed text that never echoes the input.
 */
const NAME_MAX = 200;
const DESCRIPTION_MAX = 2000;
const PAGE_SIZE_MAX = 100;
const PAGE_SIZE_DEFAULT = 20;

export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  constructor(readonly violations: readonly { field: string; description: string }[]) {
    super(`invalid request: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`);
  }
}

const codePoints = (value: string) => [...value].length;

const id = z.string().refine(isItemId, 'must be an item id (a lower-case UUIDv7)');
const name = z
  .string()
  .trim()
  .refine((v) => codePoints(v) >= 1, 'must not be empty')
  .refine((v) => codePoints(v) <= NAME_MAX, `must be at most ${NAME_MAX} characters`);
const description = z
  .string()
  .refine((v) => codePoints(v) <= DESCRIPTION_MAX, `must be at most ${DESCRIPTION_MAX} characters`);
const priceCents = z
  .number()
  .refine(
    (v) => Number.isSafeInteger(v) && v >= 0,
    'must be a whole number of cents from 0 to 9007199254740991',
  );
const version = (min: number) =>
  z.number().refine((v) => Number.isSafeInteger(v) && v >= min, `must be an integer of at least ${min}`);

const schemas = {
  get: z.object({ id }),
  list: z.object({
    page_size: z
      .number()
      .refine((v) => Number.isInteger(v) && v >= 0 && v <= PAGE_SIZE_MAX, `must be 0 to ${PAGE_SIZE_MAX}`),
    page_token: z.string(),
  }),
  create: z.object({ name, description, price_cents: priceCents }),
  update: z.object({ id, expected_version: version(1), name, description, price_cents: priceCents }),
  delete: z.object({ id, expected_version: version(0) }),
};

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new RequestValidationError(
      result.error.issues.map((issue) => ({ field: issue.path.join('.'), description: issue.message })),
    );
  }
  return result.data;
}

export function validateGet(request: GetItemRequest__Output): { id: string } {
  // The hot path: a well-formed id needs no schema run (the schema is the same check plus the message).
  if (typeof request.id === 'string' && isItemId(request.id)) return { id: request.id };
  return parse(schemas.get, { id: request.id });
}

export function validateList(request: ListItemsRequest__Output): { pageSize: number; pageToken: string } {
  const valid = parse(schemas.list, { page_size: request.pageSize, page_token: request.pageToken });
  return { pageSize: valid.page_size || PAGE_SIZE_DEFAULT, pageToken: valid.page_token };
}

export function validateCreate(request: CreateItemRequest__Output): ItemFields {
  const valid = parse(schemas.create, {
    name: request.name,
    description: request.description,
    price_cents: request.priceCents,
  });
  return { name: valid.name, description: valid.description, priceCents: valid.price_cents };
}

export function validateUpdate(request: UpdateItemRequest__Output): {
  id: string;
  expectedVersion: number;
  fields: ItemFields;
} {
  const valid = parse(schemas.update, {
    id: request.id,
    expected_version: request.expectedVersion,
    name: request.name,
    description: request.description,
    price_cents: request.priceCents,
  });
  return {
    id: valid.id,
    expectedVersion: valid.expected_version,
    fields: { name: valid.name, description: valid.description, priceCents: valid.price_cents },
  };
}

export function validateDelete(request: DeleteItemRequest__Output): { id: string; expectedVersion: number } {
  const valid = parse(schemas.delete, { id: request.id, expected_version: request.expectedVersion });
  return { id: valid.id, expectedVersion: valid.expected_version };
}
