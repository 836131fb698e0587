/**
 * Items CRUD over the store, plus an NDJSON export backed by the store's server stream. Handlers
 * only translate HTTP ⇄ store calls; store failures are thrown and mapped once in errors.ts.
 */
import { Readable } from 'node:stream';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ItemOutput } from '@pr-canary/proto';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors';
import { etagFor, type IfMatch, parseIfMatch } from '../etag';
import {
  CURSOR_RULE,
  itemBodySchema,
  itemParamsSchema,
  itemSchema,
  itemsPageSchema,
  listQuerySchema,
  PAGE_SIZE_DEFAULT,
} from '../schemas';
import { type ItemFields, StoreCallError, type StoreClient } from '../store-client';

interface ItemParams {
  id: string;
}

interface ListQuery {
  limit?: string;
  cursor?: string;
}

/** The HTTP shape of an item (the store's message, field by field, nothing else). */
function toApiItem(item: ItemOutput) {
  return {
    id: item.id,
    name: item.name,
    description: item.description,
    priceCents: item.priceCents,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

async function* ndjsonLines(first: IteratorResult<ItemOutput, void>, rest: AsyncIterable<ItemOutput>) {
  if (first.done) return;
  yield `${JSON.stringify(toApiItem(first.value))}\n`;
  for await (const item of rest) yield `${JSON.stringify(toApiItem(item))}\n`;
}

const IF_MATCH_FORMAT = 'If-Match must be * or a list of entity tags such as "3" or "3", "4"';

/** How often a list or `*` is re-evaluated when another writer gets in between read and write. */
const MAX_PRECONDITION_ATTEMPTS = 3;

function preconditionFailed(): HttpError {
  return new HttpError(
    412,
    'PRECONDITION_FAILED',
    "If-Match does not match the item's current ETag; nothing was changed. GET the item for its current ETag and retry",
  );
}

/**
 * A write the store did not answer in time may still have been applied (the deadline cut the wait,
 * not necessarily the write), so the 504 says how to find out instead of inviting a blind retry.
 */
const UNCERTAIN = {
  create: 'the item may still have been created: list the items to check before sending it again',
  update:
    'the change may still have been applied: GET the item and compare its ETag (version) before retrying',
  delete: 'the item may still have been deleted: GET it (404 means it was) before retrying',
} as const;

async function guardWrite<T>(write: () => Promise<T>, kind: keyof typeof UNCERTAIN): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof StoreCallError && err.grpcCode === GrpcStatus.DEADLINE_EXCEEDED) {
      throw new HttpError(504, 'DEADLINE_EXCEEDED', `the store did not answer in time; ${UNCERTAIN[kind]}`, {
        cause: err,
      });
    }
    throw err;
  }
}

const isStale = (err: unknown) => err instanceof StoreCallError && err.grpcCode === GrpcStatus.ABORTED;

/**
 * Runs `write` under an If-Match that parsed as `*` or a list of tags (RFC 9110 §13.1.1), so that
 * the store's conditional write always carries the exact version that matched: a concurrent writer
 * makes it fail (ABORTED) instead of being overwritten, and the condition is evaluated again.
 *
 * - one strong tag naming a version: written at that version directly (one store call);
 * - `*` or any other list: the current version is read; if it matches, written at that version.
 *
 * A missing item is 404 whatever the If-Match: RFC 9110 §13.2.1 — a server ignores preconditions
 * when the request would fail without them (PUT never creates here), so 404 takes precedence.
 */
async function writeIfMatch<T>(
  store: StoreClient,
  id: string,
  ifMatch: Extract<IfMatch, { kind: 'any' | 'tags' }>,
  kind: 'update' | 'delete',
  write: (expectedVersion: number) => Promise<T>,
): Promise<T> {
  const single = ifMatch.kind === 'tags' && ifMatch.versions.length === 1 ? ifMatch.versions[0] : undefined;
  if (single !== undefined) {
    try {
      return await guardWrite(() => write(single), kind);
    } catch (err) {
      throw isStale(err) ? preconditionFailed() : err;
    }
  }
  for (let attempt = 1; attempt <= MAX_PRECONDITION_ATTEMPTS; attempt += 1) {
    const current = await store.getItem(id);
    if (ifMatch.kind === 'tags' && !ifMatch.versions.includes(current.version)) throw preconditionFailed();
    try {
      return await guardWrite(() => write(current.version), kind);
    } catch (err) {
      if (!isStale(err)) throw err;
    }
  }
  // The condition held each time (for `*`, whenever the item exists); other writers got in first.
  throw keptChanging();
}

/** A write under `*` or a list that lost the race to other writers on every try: not a failed precondition. */
function keptChanging(): HttpError {
  return new HttpError(
    409,
    'CONFLICT',
    `other writers changed the item ${MAX_PRECONDITION_ATTEMPTS} times while this write was applied; nothing was changed. Retry`,
  );
}

/** Repeated If-Match lines form one list (RFC 9110 §5.3); Node joins them, inject() may not. */
function ifMatchOf(header: string | string[] | undefined): Exclude<IfMatch, { kind: 'malformed' }> {
  const ifMatch = parseIfMatch(Array.isArray(header) ? header.join(', ') : header);
  if (ifMatch.kind === 'malformed') throw new HttpError(400, 'VALIDATION', IF_MATCH_FORMAT);
  return ifMatch;
}

const CURSOR_UNKNOWN = `querystring/cursor ${CURSOR_RULE}`;

function isInvalidArgument(error: unknown): boolean {
  return error instanceof StoreCallError && error.grpcCode === GrpcStatus.INVALID_ARGUMENT;
}

export function registerItemRoutes(app: FastifyInstance, store: StoreClient): void {
  app.get<{ Querystring: ListQuery }>(
    '/api/items',
    { schema: { querystring: listQuerySchema, response: { 200: itemsPageSchema } } },
    async (request) => {
      const pageSize = request.query.limit === undefined ? PAGE_SIZE_DEFAULT : Number(request.query.limit);
      const page = await store
        .listItems({ pageSize, pageToken: request.query.cursor ?? '' })
        .catch((error: unknown) => {
          // The size is checked above, so the store can only refuse the token: say so in the api's
          // words (its own names `page_token`, a field this api does not have).
          if (isInvalidArgument(error) && request.query.cursor !== undefined)
            throw new HttpError(400, 'VALIDATION', CURSOR_UNKNOWN);
          throw error;
        });
      return { items: page.items.map(toApiItem), nextCursor: page.nextPageToken || null };
    },
  );

  // Waits for the first item (or the end, or an error) before answering, so a store that fails
  // up front gets a proper status and X-Served-By already names the store that streams.
  app.get('/api/items/export', async (_request, reply) => {
    const items = store.exportItems();
    const first = await items.next();
    return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(ndjsonLines(first, items)));
  });

  app.get<{ Params: ItemParams }>(
    '/api/items/:id',
    { schema: { params: itemParamsSchema, response: { 200: itemSchema } } },
    async (request, reply) => {
      const item = await store.getItem(request.params.id);
      return reply.header('etag', etagFor(item)).send(toApiItem(item));
    },
  );

  app.post<{ Body: ItemFields }>(
    '/api/items',
    { schema: { body: itemBodySchema, response: { 201: itemSchema } } },
    async (request, reply) => {
      const item = await guardWrite(() => store.createItem(request.body), 'create');
      return reply
        .code(201)
        .header('etag', etagFor(item))
        .header('location', `/api/items/${encodeURIComponent(item.id)}`)
        .send(toApiItem(item));
    },
  );

  app.put<{ Params: ItemParams; Body: ItemFields }>(
    '/api/items/:id',
    { schema: { params: itemParamsSchema, body: itemBodySchema, response: { 200: itemSchema } } },
    async (request, reply) => {
      const ifMatch = ifMatchOf(request.headers['if-match']);
      const { id } = request.params;
      if (ifMatch.kind === 'absent') {
        // 404 before 428, as before 412: a missing item is a 404 whatever the request's conditions
        // (README, Conditional writes). getItem throws NOT_FOUND for it; the read is on this error path only.
        await store.getItem(id);
        throw new HttpError(
          428,
          'PRECONDITION_REQUIRED',
          'send If-Match with the ETag of the version you are replacing, e.g. If-Match: "3"',
        );
      }
      const item = await writeIfMatch(store, id, ifMatch, 'update', (version) =>
        store.updateItem(id, version, request.body),
      );
      return reply.header('etag', etagFor(item)).send(toApiItem(item));
    },
  );

  app.delete<{ Params: ItemParams }>(
    '/api/items/:id',
    { schema: { params: itemParamsSchema } },
    async (request, reply) => {
      const ifMatch = ifMatchOf(request.headers['if-match']);
      const { id } = request.params;
      // Without If-Match (or with `*`) whatever version is current goes: the store's version 0.
      if (ifMatch.kind === 'tags') {
        await writeIfMatch(store, id, ifMatch, 'delete', (version) => store.deleteItem(id, version));
      } else {
        await guardWrite(() => store.deleteItem(id, 0), 'delete');
      }
      return reply.code(204).send();
    },
  );
}
