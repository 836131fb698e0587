import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/store';

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

/** Folder holding `store/v1/store.proto` (works from src/ and from dist/). */
export const PROTO_ROOT = path.resolve(__dirname, '..');
export const STORE_PROTO_FILE = 'store/v1/store.proto';
/** Fully-qualified service name, as used in gRPC paths and health checks. */
export const ITEMS_SERVICE_NAME = 'store.v1.ItemsService';

/** Loader options; they must match the `generate` script's flags so the generated types are true. */
export const LOADER_OPTIONS: protoLoader.Options = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cached: ProtoGrpcType | undefined;

/** Loads the store contract once and returns its typed gRPC package object. */
export function loadStoreProto(): ProtoGrpcType {
  if (!cached) {
    const definition = protoLoader.loadSync(STORE_PROTO_FILE, LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}

/** The ItemsService definition, for `server.addService(...)`. */
export function itemsServiceDefinition() {
  return loadStoreProto().store.v1.ItemsService.service;
}

/** The generated client constructor for ItemsService. */
export function itemsServiceClientConstructor() {
  return loadStoreProto().store.v1.ItemsService;
}
