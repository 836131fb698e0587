/**
 * The api's only way to the store: the generated ItemsService client plus a grpc.health.v1 client on
 * the same channel, both behind canary-context's client interceptor (so every call carries the
 * request's canary key and brings back the store's served-by entry). Every call has a deadline.
 */
import * as grpc from '@grpc/grpc-js';
import { canaryClientInterceptor, type ServiceMetrics } from '@pr-canary/canary-context';
import {
  type CreateItemResponse__Output,
  type GetItemResponse__Output,
  type HealthCheckResponse__Output,
  type HealthClient,
  healthClientConstructor,
  ITEMS_SERVICE_NAME,
  type ItemOutput,
  type ItemsServiceClient,
  itemsServiceClientConstructor,
  type ListItemsResponse__Output,
  type ServingStatus,
  UNAVAILABLE_REASON_KEY,
  UNAVAILABLE_REASONS,
  type UnavailableReason,
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
    /** Why the store said UNAVAILABLE, when it said (`x-unavailable-reason`, one of the known values). */
    readonly unavailableReason?: UnavailableReason,
  ) {
    super(`store ${method} failed: ${grpc.status[grpcCode] ?? grpcCode}: ${details}`);
  }
}

function unavailableReasonOf(metadata: grpc.Metadata | undefined): UnavailableReason | undefined {
  const [value] = metadata?.get(UNAVAILABLE_REASON_KEY) ?? [];
  return UNAVAILABLE_REASONS.find((reason) => reason === value);
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

function toStoreError(method: string, err: unknown): unknown {
  if (err instanceof Error && typeof (err as grpc.ServiceError).code === 'number') {
    const serviceError = err as grpc.ServiceError;
    const reason =
      serviceError.code === grpc.status.UNAVAILABLE ? unavailableReasonOf(serviceError.metadata) : undefined;
    return new StoreCallError(method, serviceError.code, serviceError.details ?? '', reason);
  }
  return err;
}

/**
 * Turns a callback-style unary call into a promise of `read(response)`, with errors as StoreCallError:
 * one promise per call (this is every request's path to the store).
 */
function unary<T, R>(
  method: string,
  start: (done: grpc.requestCallback<T>) => void,
  read: (response: T) => R,
): Promise<R> {
  return new Promise((resolve, reject) => {
    start((err, response) => {
      if (err) reject(toStoreError(method, err));
      else if (response === undefined) reject(new Error(`store ${method} returned no response`));
      else {
        try {
          resolve(read(response));
        } catch (error) {
          reject(error);
        }
      }
    });
  });
}

/** The item of a response that must carry one. */
function itemOf(method: string) {
  return (response: { item?: ItemOutput | null }): ItemOutput => requireItem(method, response.item);
}

const readServingStatus = (response: HealthCheckResponse__Output): ServingStatus => response.status;

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
  const Health = healthClientConstructor();
  const health: HealthClient = new Health(options.addr, grpc.credentials.createInsecure(), {
    ...clientOptions,
    channelOverride: items.getChannel(),
  });

  const callOptions = (deadlineMs = options.deadlineMs): grpc.CallOptions => ({
    deadline: Date.now() + deadlineMs,
  });

  const readGetItem = itemOf('GetItem');
  const readCreateItem = itemOf('CreateItem');
  const readUpdateItem = itemOf('UpdateItem');

  return {
    getItem(id) {
      return unary<GetItemResponse__Output, ItemOutput>(
        'GetItem',
        (done) => items.GetItem({ id }, new grpc.Metadata(), callOptions(), done),
        readGetItem,
      );
    },

    listItems({ pageSize, pageToken }) {
      return unary<ListItemsResponse__Output, ItemsPage>(
        'ListItems',
        (done) => items.ListItems({ pageSize, pageToken }, new grpc.Metadata(), callOptions(), done),
        (response) => ({ items: response.items, nextPageToken: response.nextPageToken }),
      );
    },

    createItem(fields) {
      return unary<CreateItemResponse__Output, ItemOutput>(
        'CreateItem',
        (done) => items.CreateItem(fields, new grpc.Metadata(), callOptions(), done),
        readCreateItem,
      );
    },

    updateItem(id, expectedVersion, fields) {
      return unary<UpdateItemResponse__Output, ItemOutput>(
        'UpdateItem',
        (done) =>
          items.UpdateItem({ id, expectedVersion, ...fields }, new grpc.Metadata(), callOptions(), done),
        readUpdateItem,
      );
    },

    deleteItem(id, expectedVersion) {
      return unary<unknown, void>(
        'DeleteItem',
        (done) => items.DeleteItem({ id, expectedVersion }, new grpc.Metadata(), callOptions(), done),
        () => undefined,
      );
    },

    async *exportItems() {
      const call = items.ExportItems(
        {},
        new grpc.Metadata(),
        callOptions(options.streamDeadlineMs ?? DEFAULT_STREAM_DEADLINE_MS),
      );
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

    checkHealth(deadlineMs) {
      return unary<HealthCheckResponse__Output, ServingStatus>(
        'Health.Check',
        (done) =>
          health.Check({ service: ITEMS_SERVICE_NAME }, new grpc.Metadata(), callOptions(deadlineMs), done),
        readServingStatus,
      );
    },

    close() {
      health.close();
      items.close();
    },
  };
}
