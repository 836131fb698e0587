/**
 * Items CRUD over the store, plus an NDJSON export backed by the store's server stream. Handlers
 * only translate HTTP ⇄ store calls; store failures are thrown and mapped once in errors.ts.
 */
import { Readable } from 'node:stream';
import type { ItemOutput } from '@pr-canary/proto';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors';
import { etagFor, parseIfMatch } from '../etag';
import {
  itemBodySchema,
  itemParamsSchema,
  itemSchema,
  itemsPageSchema,
  listQuerySchema,
  PAGE_SIZE_DEFAULT,
} from '../schemas';
import type { ItemFields, StoreClient } from '../store-client';

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

function requireVersionForUpdate(header: string | undefined): number {
  const ifMatch = parseIfMatch(header);
  switch (ifMatch.kind) {
    case 'version':
      return ifMatch.version;
    case 'absent':
      throw new HttpError(
        428,
        'PRECONDITION_REQUIRED',
        'send If-Match with the ETag of the version you are replacing, e.g. If-Match: "3"',
      );
    default:
      throw new HttpError(400, 'VALIDATION', 'headers/if-match must be one ETag such as "3"');
  }
}

/** DELETE takes an optional If-Match; without one (or with `*`) any version goes. */
function expectedVersionForDelete(header: string | undefined): number {
  const ifMatch = parseIfMatch(header);
  if (ifMatch.kind === 'version') return ifMatch.version;
  if (ifMatch.kind === 'malformed') {
    throw new HttpError(400, 'VALIDATION', 'headers/if-match must be one ETag such as "3" or *');
  }
  return 0;
}

export function registerItemRoutes(app: FastifyInstance, store: StoreClient): void {
  app.get<{ Querystring: ListQuery }>(
    '/api/items',
    { schema: { querystring: listQuerySchema, response: { 200: itemsPageSchema } } },
    async (request) => {
      const pageSize = request.query.limit === undefined ? PAGE_SIZE_DEFAULT : Number(request.query.limit);
      const page = await store.listItems({ pageSize, pageToken: request.query.cursor ?? '' });
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
      const item = await store.createItem(request.body);
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
      const expectedVersion = requireVersionForUpdate(request.headers['if-match']);
      const item = await store.updateItem(request.params.id, expectedVersion, request.body);
      return reply.header('etag', etagFor(item)).send(toApiItem(item));
    },
  );

  app.delete<{ Params: ItemParams }>(
    '/api/items/:id',
    { schema: { params: itemParamsSchema } },
    async (request, reply) => {
      await store.deleteItem(request.params.id, expectedVersionForDelete(request.headers['if-match']));
      return reply.code(204).send();
    },
  );
}
