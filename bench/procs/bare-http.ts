/**
 * Baseline: bare Fastify (no logger, no plugins) with the api's three hot routes. `/api/route` and
 * `/api/items/:id` make one grpc-js call (with a deadline, as any production client must) to
 * GRPC_ADDR — the bare grpc-js server — and answer JSON through a response schema, as the api does.
 */
import * as grpc from '@grpc/grpc-js';
import { healthClientConstructor, ITEMS_SERVICE_NAME, itemsServiceClientConstructor } from '@pr-canary/proto';
import Fastify from 'fastify';
import { announceListening } from '../lib/load-protocol';

const addr = process.env.GRPC_ADDR ?? '127.0.0.1:1';
const DEADLINE_MS = 2_000;
const ItemsClient = itemsServiceClientConstructor();
const items = new ItemsClient(addr, grpc.credentials.createInsecure());
const HealthClient = healthClientConstructor();
const health = new HealthClient(addr, grpc.credentials.createInsecure(), {
  channelOverride: items.getChannel(),
});

const itemSchema = {
  type: 'object',
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
const routeSchema = {
  type: 'object',
  properties: { status: { type: 'string' } },
} as const;

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/api/route', { schema: { response: { 200: routeSchema, 503: routeSchema } } }, (_request, reply) => {
  health.Check({ service: ITEMS_SERVICE_NAME }, { deadline: Date.now() + DEADLINE_MS }, (error, response) => {
    if (error) reply.code(503).send({ status: 'store unavailable' });
    else reply.send({ status: response?.status });
  });
});
app.get<{ Params: { id: string } }>(
  '/api/items/:id',
  { schema: { response: { 200: itemSchema } } },
  (request, reply) => {
    items.GetItem({ id: request.params.id }, { deadline: Date.now() + DEADLINE_MS }, (error, response) => {
      if (error || !response?.item) reply.code(error?.code === grpc.status.NOT_FOUND ? 404 : 503).send({});
      else reply.header('etag', `"${response.item.version}"`).send(response.item);
    });
  },
);
app.listen({ host: '127.0.0.1', port: 0 }).then(() => announceListening(app.server));

// A normal exit on SIGTERM, so a --cpu-prof profile gets written.
process.once('SIGTERM', () => process.exit(0));
