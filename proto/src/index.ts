import { isUtf8 } from 'node:buffer';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as HealthProtoGrpcType } from './generated/health';
import type { ProtoGrpcType } from './generated/store';

export type { HealthClient, HealthHandlers } from './generated/grpc/health/v1/Health';
export type * from './generated/grpc/health/v1/HealthCheckRequest';
export type {
  _grpc_health_v1_HealthCheckResponse_ServingStatus__Output as ServingStatus,
  HealthCheckResponse,
  HealthCheckResponse__Output,
} from './generated/grpc/health/v1/HealthCheckResponse';
export type * from './generated/grpc/health/v1/HealthListRequest';
export type * from './generated/grpc/health/v1/HealthListResponse';
export type * from './generated/store/v1/CreateItemRequest';
export type * from './generated/store/v1/CreateItemResponse';
export type * from './generated/store/v1/DeleteItemRequest';
export type * from './generated/store/v1/DeleteItemResponse';
export type * from './generated/store/v1/ExportItemsRequest';
export type * from './generated/store/v1/ExportItemsResponse';
export type * from './generated/store/v1/GetItemRequest';
export type * from './generated/store/v1/GetItemResponse';
export type { Item, Item__Output as ItemOutput } from './generated/store/v1/Item';
export type { ItemsServiceClient, ItemsServiceHandlers } from './generated/store/v1/ItemsService';
export type * from './generated/store/v1/ListItemsRequest';
export type * from './generated/store/v1/ListItemsResponse';
export type * from './generated/store/v1/UpdateItemRequest';
export type * from './generated/store/v1/UpdateItemResponse';

/** Folder holding `store/v1/store.proto` (works from src/ and dist/). */
export const PROTO_ROOT = path.resolve(__dirname, '..');
const STORE_PROTO_FILE = 'store/v1/store.proto';
/**
 * The standard gRPC health contract (grpc.health.v1), the file the gRPC maintainers ship in
 * grpc-health-check — located, not imported: importing that package parses the file at once with its
 * own copy of proto-loader, which a process that only calls Health (the api) does not need.
 */
const HEALTH_PROTO_FILE = path.join(
  path.dirname(require.resolve('grpc-health-check/package.json')),
  'proto/health/v1/health.proto',
);
/** Fully-qualified service name, as used in gRPC paths and health checks. */
export const ITEMS_SERVICE_NAME = 'store.v1.ItemsService';

/**
 * Trailing metadata ItemsService adds to an UNAVAILABLE status to say why, so a client can tell its
 * own caller without passing the status details through (see store.proto).
 */
export const UNAVAILABLE_REASON_KEY = 'x-unavailable-reason';
/** `table_missing`: DynamoDB answers but the item table does not exist; `unavailable`: DynamoDB unreachable, throttling or failing. */
export const UNAVAILABLE_REASONS = ['table_missing', 'unavailable'] as const;
export type UnavailableReason = (typeof UNAVAILABLE_REASONS)[number];

/** Loader options; they must match the `generate` script's flags so the generated types are true. */
const LOADER_OPTIONS: protoLoader.Options = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

const loaded = new Map<string, grpc.GrpcObject>();

/**
 * Loads one .proto (a path under PROTO_ROOT such as `billing/v1/billing.proto`, or an absolute path)
 * once; `T` is the package type generated from that file (`@pr-canary/proto/generated/<file name>`).
 */
export function loadProto<T>(file: string): T {
  let grpcObject = loaded.get(file);
  if (!grpcObject) {
    decodeStringsStrictly();
    grpcObject = grpc.loadPackageDefinition(withStrictDecoding(protoLoader.loadSync(file, LOADER_OPTIONS)));
    loaded.set(file, grpcObject);
  }
  return grpcObject as unknown as T;
}

/**
 * Every method's messages decoded strictly. Given a Node Buffer, protobufjs reads strings with its
 * BufferReader, which cuts a string whose declared length runs past the end of the message down to
 * what is there: a truncated CreateItem (`name` claiming 16 bytes, 1 present) was taken and stored.
 * Given the same bytes as a plain Uint8Array it uses its base Reader, which refuses that (as it refuses
 * such a `bytes` field either way); grpc-js then answers INTERNAL "Error deserializing request".
 */
function withStrictDecoding(definition: protoLoader.PackageDefinition): protoLoader.PackageDefinition {
  for (const entry of Object.values(definition)) {
    if (!isServiceDefinition(entry)) continue;
    for (const method of Object.values(entry)) {
      const { requestDeserialize, responseDeserialize } = method;
      method.requestDeserialize = (bytes) => requestDeserialize(asPlainBytes(bytes));
      method.responseDeserialize = (bytes) => responseDeserialize(asPlainBytes(bytes));
    }
  }
  return definition;
}

/** protobufjs's UTF-8 codec, the one its Reader reads every string field with (at call time). */
interface ProtobufUtf8 {
  util: { utf8: { read(buffer: Uint8Array, start: number, end: number): string } };
}
const STRICT = Symbol.for('pr-canary.proto.strict-utf8');

/**
 * String fields decoded strictly too. protobufjs reads them with its own UTF-8 decoder, which takes any
 * bytes: `61 ff 62` ("a", an invalid byte, "b") came out as "a\uFFFD" (the "b" lost without a word),
 * an overlong form as U+FFFD, and an encoded surrogate (`ed a0 80`) as a lone surrogate, which the
 * store kept and sent back in bytes a strict client (grpc-go) cannot decode. Proto3 requires a string
 * field to be valid UTF-8, and grpc-go refuses a message that is not; so do we, in every process that
 * loads a contract through here: such a message is not decoded, and grpc-js answers INTERNAL "Error
 * deserializing request", as for a truncated one. A valid string is still read by protobufjs's decoder.
 *
 * The codec is protobufjs's, not ours to own, but it is one object shared by every Reader: patched
 * once, here, for the protobufjs that @grpc/proto-loader (and so every definition) uses.
 */
function decodeStringsStrictly(): void {
  const loaderDir = path.dirname(require.resolve('@grpc/proto-loader'));
  const { utf8 } = (require(require.resolve('protobufjs', { paths: [loaderDir] })) as ProtobufUtf8).util;
  const current = utf8.read as typeof utf8.read & { [STRICT]?: true };
  if (current[STRICT]) return;
  const strictRead = (buffer: Uint8Array, start: number, end: number): string => {
    // Reader.string passes exactly the field's bytes (0 to length): checked without another view.
    const field = start === 0 && end === buffer.length ? buffer : buffer.subarray(start, end);
    if (ArrayBuffer.isView(field) && !isUtf8(field)) throw new Error('a string field is not valid UTF-8');
    return current(buffer, start, end);
  };
  utf8.read = Object.assign(strictRead, { [STRICT]: true as const });
}

/** Message and enum types carry a `format`; a service is a map of its methods. */
function isServiceDefinition(entry: protoLoader.AnyDefinition): entry is protoLoader.ServiceDefinition {
  return !('format' in entry);
}

/** The same memory, seen as a Uint8Array rather than a Buffer (no copy). */
function asPlainBytes(bytes: Buffer): Buffer {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Buffer;
}

/** Loads the store contract once and returns its typed gRPC package object. */
export function loadStoreProto(): ProtoGrpcType {
  return loadProto<ProtoGrpcType>(STORE_PROTO_FILE);
}

/** The ItemsService definition, for `server.addService(...)`. */
export function itemsServiceDefinition() {
  return loadStoreProto().store.v1.ItemsService.service;
}

/** The generated client constructor for ItemsService. */
export function itemsServiceClientConstructor() {
  return loadStoreProto().store.v1.ItemsService;
}

/** Loads grpc.health.v1 once and returns its typed gRPC package object. */
function loadHealthProto(): HealthProtoGrpcType {
  return loadProto<HealthProtoGrpcType>(HEALTH_PROTO_FILE);
}

/** The grpc.health.v1.Health definition, for `server.addService(...)` with `HealthHandlers`. */
export function healthServiceDefinition() {
  return loadHealthProto().grpc.health.v1.Health.service;
}

/** The generated client constructor for grpc.health.v1.Health (Check, List, Watch). */
export function healthClientConstructor() {
  return loadHealthProto().grpc.health.v1.Health;
}
