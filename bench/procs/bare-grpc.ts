/**
 * Baseline: a bare grpc-js server with the store's contract and nothing else — Health/Check answers
 * SERVING, GetItem is one SDK GetItem against dynalite mapped to the proto item. No interceptor,
 * validation, metrics or logging. Env: DYNAMODB_ENDPOINT, DYNAMODB_TABLE.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import * as grpc from '@grpc/grpc-js';
import type { HealthHandlers, ItemsServiceHandlers } from '@pr-canary/proto';
import { healthServiceDefinition, itemsServiceDefinition } from '@pr-canary/proto';

const endpoint = process.env.DYNAMODB_ENDPOINT;
const table = process.env.DYNAMODB_TABLE ?? 'items';
const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }),
);

const items: Partial<ItemsServiceHandlers> = {
  GetItem(call, callback) {
    client
      .send(
        new GetCommand({ TableName: table, Key: { pk: 'ITEM', sk: call.request.id }, ConsistentRead: true }),
      )
      .then(
        ({ Item }) => {
          if (!Item) return callback({ code: grpc.status.NOT_FOUND, details: 'no such item' });
          callback(null, {
            item: {
              id: Item.sk,
              name: Item.name,
              description: Item.description,
              priceCents: Item.priceCents,
              version: Item.version,
              createdAt: Item.createdAt,
              updatedAt: Item.updatedAt,
            },
          });
        },
        () => callback({ code: grpc.status.UNAVAILABLE, details: 'dynamodb failed' }),
      );
  },
};
const health: Partial<HealthHandlers> = {
  Check(_call, callback) {
    callback(null, { status: 'SERVING' });
  },
};

const server = new grpc.Server();
server.addService(itemsServiceDefinition(), items as ItemsServiceHandlers);
server.addService(healthServiceDefinition(), health as HealthHandlers);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});

// A normal exit on SIGTERM, so a --cpu-prof profile gets written.
process.once('SIGTERM', () => process.exit(0));
