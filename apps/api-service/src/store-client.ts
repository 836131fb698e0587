/**
 * The api's only way to the store: the generated ItemsService client plus a grpc.health.v1 client on
 * the same channel, both behind canary-context's client interceptor (so every call carries the
 * request's canary key and brings back the store's served-by entry). Every call has a deadline.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  type CanaryScope,
  canaryClientInterceptor,
  currentScope,
  parseServedBy,
  SERVED_BY_HEADER,
  type ServiceMetrics,
} from '@pr-canary/canary-context';
import {
  type CreateItemResponse__Output,
  type GetItemResponse__Output,
  ITEMS_SERVICE_NAME,
  type ItemOutput,
  type ItemsServiceClient,
  itemsServiceClientConstructor,
  type ListItemsResponse__Output,
  type UpdateItemResponse__Output,
} from '@pr-canary/proto';

/** The fields a client may write; id, version and timestamps belong to the store. */
export interface ItemFields {
  name: string;
  description: string;
  priceCents: number;
}

export interface ItemsPage {
  items: ItemOutput[];
  /** Empty when there is no further page. */
  nextPageToken: string;
}

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface StoreClient {
  getItem(id: string): Promise<ItemOutput>;
  listItems(page: { pageSize: number; pageToken: string }): Promise<ItemsPage>;
  createItem(fields: ItemFields): Promise<ItemOutput>;
  updateItem(id: string, expectedVersion: number, fields: ItemFields): Promise<ItemOutput>;
  /** `expectedVersion` 0 deletes whatever version is current. */
  deleteItem(id: string, expectedVersion: number): Promise<void>;
  /** Streams every item; the call starts on the first `next()`, inside the caller's canary scope. */
  exportItems(): AsyncGenerator<ItemOutput, void, undefined>;
  /** grpc.health.v1 Check of the items service, with its own (usually shorter) deadline. */
  checkHealth(deadlineMs: number): Promise<ServingStatus>;
  close(): void;
}

export interface StoreClientOptions {
  /** `host:port` of store-service. */
  addr: string;
  /** Deadline of every unary items call. */
  deadlineMs: number;
  /** Deadline of a whole ExportItems stream (default 30 s). */
  streamDeadlineMs?: number;
  /** Records `pr_canary_grpc_client_*` for every store call. */
  metrics?: ServiceMetrics;
  /** Extra channel options (tests shorten the reconnect backoff with them). */
  channelOptions?: grpc.ChannelOptions;
}

/** A store call that ended with a gRPC status other than OK. */
export class StoreCallError extends Error {
  override readonly name = 'StoreCallError';

  constructor(
    readonly method: string,
    readonly grpcCode: grpc.status,
    readonly details: string,
  ) {
    super(`store ${method} failed: ${grpc.status[grpcCode] ?? grpcCode}: ${details}`);
  }
}

/**
 * Channel settings for a service mesh: keepalive pings only while calls are in flight (idle pings get
 * GOAWAY'd by servers and proxies), a short reconnect backoff so a restarted store is picked up
 * quickly, and pick_first (Linkerd balances each HTTP/2 request itself; a ClusterIP has one address).
 */
const MESH_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 0,
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 5_000,
  'grpc.dns_min_time_between_resolutions_ms': 5_000,
};

const DEFAULT_STREAM_DEADLINE_MS = 30_000;

/**
 * grpc.health.v1 as published in grpc/grpc `src/proto/grpc/health/v1/health.proto` (Check only; the
 * api never watches), in protobuf.js JSON form so no .proto file has to ship with the api.
 */
const HEALTH_PROTO_JSON: Parameters<typeof protoLoader.fromJSON>[0] = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: {
                    ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } },
                  },
                },
                Health: {
                  methods: {
                    Check: {
                      requestType: 'HealthCheckRequest',
                      responseType: 'HealthCheckResponse',
                      comment: 'Health check of one service ("" = the whole server).',
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

interface HealthCheckResponse {
  status: ServingStatus;
}

interface HealthClient extends grpc.Client {
  Check(
    request: { service: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<HealthCheckResponse>,
  ): grpc.ClientUnaryCall;
}

type HealthClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => HealthClient;

function healthClientConstructor(): HealthClientConstructor {
  const definition = protoLoader.fromJSON(HEALTH_PROTO_JSON, { enums: String, defaults: true });
  const health = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: HealthClientConstructor } } };
  };
  return health.grpc.health.v1.Health;
}

function toStoreError(method: string, err: unknown): unknown {
  if (err instanceof Error && typeof (err as grpc.ServiceError).code === 'number') {
    const serviceError = err as grpc.ServiceError;
    return new StoreCallError(method, serviceError.code, serviceError.details ?? '');
  }
  return err;
}

/** Turns a callback-style unary call into a promise of its response, with errors as StoreCallError. */
function unary<T>(method: string, start: (done: grpc.requestCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((err, response) => {
      if (err) reject(toStoreError(method, err));
      else if (response === undefined) reject(new Error(`store ${method} returned no response`));
      else resolve(response);
    });
  });
}

/**
 * A streaming HTTP response sends its headers with the first item, long before the gRPC status, and
 * canary-context's client interceptor adds served-by entries to the scope only at the status. So for
 * streams, the entries from the response *headers* are added to the scope as soon as they arrive
 * (entries already in the chain are skipped; the interceptor skips them again at the status).
 */
function addServedByFromHeaders(scope: CanaryScope | undefined, metadata: grpc.Metadata): void {
  if (!scope) return;
  for (const entry of parseServedBy(metadata.get(SERVED_BY_HEADER).map(String).join(', '))) {
    const known = scope.downstream.some(
      (e) => e.service === entry.service && e.track === entry.track && e.version === entry.version,
    );
    if (!known) scope.downstream.push(entry);
  }
}

function requireItem(method: string, item: ItemOutput | null | undefined): ItemOutput {
  if (!item) throw new Error(`store ${method} answered without an item`);
  return item;
}

export function createStoreClient(options: StoreClientOptions): StoreClient {
  const clientOptions: grpc.ClientOptions = {
    ...MESH_CHANNEL_OPTIONS,
    ...options.channelOptions,
    interceptors: [canaryClientInterceptor({ metrics: options.metrics })],
  };
  const ItemsClient = itemsServiceClientConstructor();
  const items: ItemsServiceClient = new ItemsClient(
    options.addr,
    grpc.credentials.createInsecure(),
    clientOptions,
  );
  const HealthClient = healthClientConstructor();
  const health = new HealthClient(options.addr, grpc.credentials.createInsecure(), {
    ...clientOptions,
    channelOverride: items.getChannel(),
  });

  const callOptions = (deadlineMs = options.deadlineMs): grpc.CallOptions => ({
    deadline: Date.now() + deadlineMs,
  });

  return {
    async getItem(id) {
      const response = await unary<GetItemResponse__Output>('GetItem', (done) =>
        items.GetItem({ id }, new grpc.Metadata(), callOptions(), done),
      );
      return requireItem('GetItem', response.item);
    },

    async listItems({ pageSize, pageToken }) {
      const response = await unary<ListItemsResponse__Output>('ListItems', (done) =>
        items.ListItems({ pageSize, pageToken }, new grpc.Metadata(), callOptions(), done),
      );
      return { items: response.items, nextPageToken: response.nextPageToken };
    },

    async createItem(fields) {
      const response = await unary<CreateItemResponse__Output>('CreateItem', (done) =>
        items.CreateItem(fields, new grpc.Metadata(), callOptions(), done),
      );
      return requireItem('CreateItem', response.item);
    },

    async updateItem(id, expectedVersion, fields) {
      const response = await unary<UpdateItemResponse__Output>('UpdateItem', (done) =>
        items.UpdateItem({ id, expectedVersion, ...fields }, new grpc.Metadata(), callOptions(), done),
      );
      return requireItem('UpdateItem', response.item);
    },

    async deleteItem(id, expectedVersion) {
      await unary<unknown>('DeleteItem', (done) =>
        items.DeleteItem({ id, expectedVersion }, new grpc.Metadata(), callOptions(), done),
      );
    },

    async *exportItems() {
      const call = items.ExportItems(
        {},
        new grpc.Metadata(),
        callOptions(options.streamDeadlineMs ?? DEFAULT_STREAM_DEADLINE_MS),
      );
      const scope = currentScope();
      call.once('metadata', (metadata: grpc.Metadata) => addServedByFromHeaders(scope, metadata));
      try {
        for await (const message of call) {
          yield requireItem('ExportItems', (message as { item?: ItemOutput | null }).item);
        }
      } catch (err) {
        throw toStoreError('ExportItems', err);
      } finally {
        call.cancel();
      }
    },

    async checkHealth(deadlineMs) {
      const response = await unary<HealthCheckResponse>('Health.Check', (done) =>
        health.Check({ service: ITEMS_SERVICE_NAME }, new grpc.Metadata(), callOptions(deadlineMs), done),
      );
      return response.status;
    },

    close() {
      health.close();
      items.close();
    },
  };
}
