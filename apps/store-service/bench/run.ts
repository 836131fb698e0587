/**
 * Throughput of the store over real gRPC against in-process dynalite, next to two baselines
 * measured in the same run: a no-op RPC on the same server (health Check, same interceptor) and
 * the bare DynamoDB call the handler makes. Ratios say what the gRPC layer and handler cost.
 * Runs about 15 s: `npm run bench -w @pr-canary/store-service`.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as grpc from '@grpc/grpc-js';
import { createLogger, createServiceMetrics, type InstanceIdentity } from '@pr-canary/canary-context';
import {
  type GetItemResponse__Output,
  type HealthCheckResponse__Output,
  healthClientConstructor,
  itemsServiceClientConstructor,
} from '@pr-canary/proto';
import { startDynalite } from '@pr-canary/test-support';
import { createDocumentClient } from '../src/dynamodb-client';
import { createItemsRepository, ensureTable, LIST_PARTITION } from '../src/items-repository';
import { bindStoreServer, createStoreServer } from '../src/store-server';

const PHASE_MS = 2_500;
const CONCURRENCY = 16;
const identity: InstanceIdentity = { service: 'store-service', track: 'stable', version: 'bench' };
const widget = { name: 'Bench widget', description: 'measured', priceCents: 100 };

interface Result {
  name: string;
  opsPerSec: number;
}

/** Runs `op` from CONCURRENCY loops for PHASE_MS; every op must succeed. */
async function measure(name: string, op: () => Promise<unknown>): Promise<Result> {
  const started = performance.now();
  const until = started + PHASE_MS;
  let count = 0;
  const worker = async () => {
    while (performance.now() < until) {
      await op();
      count += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const opsPerSec = count / ((performance.now() - started) / 1000);
  console.log(`${name.padEnd(34)} ${opsPerSec.toFixed(0).padStart(8)} ops/s`);
  return { name, opsPerSec };
}

function promised<Res>(start: (cb: grpc.requestCallback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    start((error, response) => (error || response === undefined ? reject(error) : resolve(response)));
  });
}

async function main(): Promise<void> {
  const dynalite = await startDynalite();
  const docClient = createDocumentClient({ region: 'us-east-1', endpoint: dynalite.endpoint });
  const table = `bench-${randomUUID()}`;
  await ensureTable({ client: docClient, table });
  const repo = createItemsRepository({ client: docClient, table });
  const logger = createLogger({ identity, level: 'silent' });
  const server = createStoreServer({ repo, logger, identity, metrics: createServiceMetrics({ identity }) });
  const address = `127.0.0.1:${await bindStoreServer(server, '127.0.0.1', 0)}`;
  const items = new (itemsServiceClientConstructor())(address, grpc.credentials.createInsecure());
  const health = new (healthClientConstructor())(address, grpc.credentials.createInsecure());
  const { id } = await repo.create(widget);

  try {
    console.log(`store-service bench: ${CONCURRENCY} concurrent callers, ${PHASE_MS} ms per phase\n`);
    const noop = await measure('gRPC health Check (no-op RPC)', () =>
      promised<HealthCheckResponse__Output>((cb) =>
        health.check({ service: '' }, new grpc.Metadata(), {}, cb),
      ),
    );
    const bareGet = await measure('DynamoDB GetCommand (bare SDK)', () =>
      docClient.send(
        new GetCommand({ TableName: table, Key: { pk: LIST_PARTITION, sk: id }, ConsistentRead: true }),
      ),
    );
    const getItem = await measure('gRPC GetItem', () =>
      promised<GetItemResponse__Output>((cb) => items.getItem({ id }, cb)),
    );
    const barePut = await measure('DynamoDB PutCommand (bare SDK)', () =>
      docClient.send(
        new PutCommand({ TableName: table, Item: { pk: 'BENCH', sk: randomUUID(), ...widget, version: 1 } }),
      ),
    );
    const createItem = await measure('gRPC CreateItem', () => promised((cb) => items.createItem(widget, cb)));

    console.log('');
    const ratio = (a: Result, b: Result) =>
      console.log(`${`${a.name} / ${b.name}`.padEnd(70)} ${(a.opsPerSec / b.opsPerSec).toFixed(2)}`);
    ratio(getItem, noop);
    ratio(getItem, bareGet);
    ratio(createItem, barePut);
  } finally {
    items.close();
    health.close();
    server.forceShutdown();
    docClient.destroy();
    await dynalite.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
