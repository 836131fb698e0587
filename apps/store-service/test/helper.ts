import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as grpc from '@grpc/grpc-js';
import { createServiceMetrics, type InstanceIdentity, type ServiceMetrics } from '@pr-canary/canary-context';
import {
  type CreateItemRequest,
  type CreateItemResponse__Output,
  type DeleteItemRequest,
  type DeleteItemResponse__Output,
  type GetItemRequest,
  type GetItemResponse__Output,
  type HealthCheckResponse__Output,
  type HealthClient,
  healthClientConstructor,
  ITEMS_SERVICE_NAME,
  type ItemsServiceClient,
  itemsServiceClientConstructor,
  type ListItemsRequest,
  type ListItemsResponse__Output,
  type UpdateItemRequest,
  type UpdateItemResponse__Output,
} from '@pr-canary/proto';
import { type GrpcHealth, listenGrpc } from '@pr-canary/service-kit/grpc';
import { freePort, type RunningDynalite, startDynalite } from '@pr-canary/test-support';
import { expect, onTestFinished } from 'vitest';
import { buildApp, createHealth } from '../src/app';
import { createDocumentClient } from '../src/dynamodb-client';
import type { HandlerLogger } from '../src/errors';
import { createItemsRepository, ensureTable, type ItemsRepository } from '../src/items-repository';

export const TEST_IDENTITY: InstanceIdentity = {
  service: 'store-service',
  track: 'stable',
  version: '0.0.0-test',
};

let dynalite: Promise<RunningDynalite> | undefined;

/**
 * One in-memory dynalite per test process, started on first use: the files that share a worker share it
 * (every test makes tables of its own). It runs in this process, so it ends with it.
 */
export async function dynaliteEndpoint(): Promise<string> {
  dynalite ??= startDynalite();
  return (await dynalite).endpoint;
}

/** An endpoint where nothing listens (connection refused). */
export async function unreachableEndpoint(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

export interface LogEntry {
  level: 'debug' | 'warn' | 'error';
  fields: object;
  message: string;
}

/** A HandlerLogger that keeps what it is told, so tests can check what was (not) logged. */
export function recordingLogger(): HandlerLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (fields: object, message: string) => {
    entries.push({ level, fields, message });
  };
  return { entries, debug: at('debug'), warn: at('warn'), error: at('error') };
}

export interface RepositoryOptions {
  endpoint?: string;
  maxAttempts?: number;
  /** An existing table to use (default: a fresh one). */
  table?: string;
  createTable?: boolean;
  newId?: () => string;
}

/** A repository over a fresh table in this file's dynalite; the client is destroyed after the test. */
export async function buildRepository(options: RepositoryOptions = {}) {
  const endpoint = options.endpoint ?? (await dynaliteEndpoint());
  const docClient = createDocumentClient({ region: 'us-east-1', endpoint, maxAttempts: options.maxAttempts });
  onTestFinished(() => docClient.destroy());
  const table = options.table ?? `items-${randomUUID()}`;
  if (options.createTable ?? options.table === undefined) {
    await ensureTable({ client: docClient, table });
  }
  const repo = createItemsRepository({ client: docClient, table, newId: options.newId });
  return { repo, docClient, table };
}

export interface StoreOptions extends RepositoryOptions {
  /** Wraps the real repository, e.g. to observe what handlers see. */
  wrapRepo?: (repo: ItemsRepository) => ItemsRepository;
  trustCanaryKey?: boolean;
}

export interface TestStore {
  client: ItemsServiceClient;
  healthClient: HealthClient;
  api: ReturnType<typeof itemsApi>;
  repo: ItemsRepository;
  docClient: DynamoDBDocumentClient;
  table: string;
  metrics: ServiceMetrics;
  health: GrpcHealth;
  logs: LogEntry[];
  address: string;
}

/**
 * The real store: dynalite table → repository → buildApp on 127.0.0.1:0 → grpc-js clients.
 * Everything is shut down when the test finishes.
 */
export async function buildStore(options: StoreOptions = {}): Promise<TestStore> {
  const { repo, docClient, table } = await buildRepository(options);
  const logger = recordingLogger();
  const metrics = createServiceMetrics({ identity: TEST_IDENTITY });
  const health = createHealth();
  const server = buildApp({
    repo: options.wrapRepo ? options.wrapRepo(repo) : repo,
    logger,
    identity: TEST_IDENTITY,
    metrics,
    health,
    trustCanaryKey: options.trustCanaryKey,
  });
  const port = await listenGrpc(server, '127.0.0.1', 0);
  const address = `127.0.0.1:${port}`;
  const Client = itemsServiceClientConstructor();
  const client = new Client(address, grpc.credentials.createInsecure());
  const HealthClient = healthClientConstructor();
  const healthClient = new HealthClient(address, grpc.credentials.createInsecure());
  onTestFinished(() => {
    client.close();
    healthClient.close();
    server.forceShutdown();
  });
  return {
    client,
    healthClient,
    api: itemsApi(client),
    repo,
    docClient,
    table,
    metrics,
    health,
    logs: logger.entries,
    address,
  };
}

export interface CallOptions {
  metadata?: grpc.Metadata;
  deadline?: grpc.Deadline;
}

type Start<Res> = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Res>,
) => grpc.ClientUnaryCall;

/** One unary call as a promise. */
export function unary<Res>(start: Start<Res>, options: CallOptions = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    start(options.metadata ?? new grpc.Metadata(), { deadline: options.deadline }, (error, response) =>
      error || response === undefined ? reject(error) : resolve(response),
    );
  });
}

/** ItemsService's health as the store reports it now (SERVING, NOT_SERVING). */
export async function itemsServingStatus(
  health: HealthClient,
): Promise<HealthCheckResponse__Output['status']> {
  const response = await unary<HealthCheckResponse__Output>((md, o, cb) =>
    health.check({ service: ITEMS_SERVICE_NAME }, md, o, cb),
  );
  return response.status;
}

/** Promise wrappers for every unary ItemsService method. */
export function itemsApi(client: ItemsServiceClient) {
  return {
    get: (request: GetItemRequest, options?: CallOptions) =>
      unary<GetItemResponse__Output>((md, o, cb) => client.getItem(request, md, o, cb), options),
    list: (request: ListItemsRequest, options?: CallOptions) =>
      unary<ListItemsResponse__Output>((md, o, cb) => client.listItems(request, md, o, cb), options),
    create: (request: CreateItemRequest, options?: CallOptions) =>
      unary<CreateItemResponse__Output>((md, o, cb) => client.createItem(request, md, o, cb), options),
    update: (request: UpdateItemRequest, options?: CallOptions) =>
      unary<UpdateItemResponse__Output>((md, o, cb) => client.updateItem(request, md, o, cb), options),
    delete: (request: DeleteItemRequest, options?: CallOptions) =>
      unary<DeleteItemResponse__Output>((md, o, cb) => client.deleteItem(request, md, o, cb), options),
  };
}

/** Awaits a call that must fail with `code`; returns the error for further checks. */
export async function expectStatus(call: Promise<unknown>, code: grpc.status): Promise<grpc.ServiceError> {
  const error = await call.then(
    () => {
      throw new Error(`expected gRPC status ${grpc.status[code]}, but the call succeeded`);
    },
    (failure: grpc.ServiceError) => failure,
  );
  expect(grpc.status[error.code]).toBe(grpc.status[code]);
  return error;
}
