// Original file: store/v1/store.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateItemRequest as _store_v1_CreateItemRequest, CreateItemRequest__Output as _store_v1_CreateItemRequest__Output } from '../../store/v1/CreateItemRequest';
import type { CreateItemResponse as _store_v1_CreateItemResponse, CreateItemResponse__Output as _store_v1_CreateItemResponse__Output } from '../../store/v1/CreateItemResponse';
import type { DeleteItemRequest as _store_v1_DeleteItemRequest, DeleteItemRequest__Output as _store_v1_DeleteItemRequest__Output } from '../../store/v1/DeleteItemRequest';
import type { DeleteItemResponse as _store_v1_DeleteItemResponse, DeleteItemResponse__Output as _store_v1_DeleteItemResponse__Output } from '../../store/v1/DeleteItemResponse';
import type { ExportItemsRequest as _store_v1_ExportItemsRequest, ExportItemsRequest__Output as _store_v1_ExportItemsRequest__Output } from '../../store/v1/ExportItemsRequest';
import type { ExportItemsResponse as _store_v1_ExportItemsResponse, ExportItemsResponse__Output as _store_v1_ExportItemsResponse__Output } from '../../store/v1/ExportItemsResponse';
import type { GetItemRequest as _store_v1_GetItemRequest, GetItemRequest__Output as _store_v1_GetItemRequest__Output } from '../../store/v1/GetItemRequest';
import type { GetItemResponse as _store_v1_GetItemResponse, GetItemResponse__Output as _store_v1_GetItemResponse__Output } from '../../store/v1/GetItemResponse';
import type { ListItemsRequest as _store_v1_ListItemsRequest, ListItemsRequest__Output as _store_v1_ListItemsRequest__Output } from '../../store/v1/ListItemsRequest';
import type { ListItemsResponse as _store_v1_ListItemsResponse, ListItemsResponse__Output as _store_v1_ListItemsResponse__Output } from '../../store/v1/ListItemsResponse';
import type { UpdateItemRequest as _store_v1_UpdateItemRequest, UpdateItemRequest__Output as _store_v1_UpdateItemRequest__Output } from '../../store/v1/UpdateItemRequest';
import type { UpdateItemResponse as _store_v1_UpdateItemResponse, UpdateItemResponse__Output as _store_v1_UpdateItemResponse__Output } from '../../store/v1/UpdateItemResponse';

export interface ItemsServiceClient extends grpc.Client {
  CreateItem(argument: _store_v1_CreateItemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_CreateItemResponse__Output>): grpc.ClientUnaryCall;
  CreateItem(argument: _store_v1_CreateItemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_store_v1_CreateItemResponse__Output>): grpc.ClientUnaryCall;
  CreateItem(argument: _store_v1_CreateItemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_CreateItemResponse__Output>): grpc.ClientUnaryCall;
  CreateItem(argument: _store_v1_CreateItemRequest, callback: grpc.requestCallback<_store_v1_CreateItemResponse__Output>): grpc.ClientUnaryCall;
  createItem(argument: _store_v1_CreateItemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_CreateItemResponse__Output>): grpc.ClientUnaryCall;
  createItem(argument: _store_v1_CreateItemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_store_v1_CreateItemResponse__Output>): grpc.ClientUnaryCall;
  createItem(argument: _store_v1_CreateItemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_CreateItemResponse__Output>): grpc.ClientUnaryCall;
  createItem(argument: _store_v1_CreateItemRequest, callback: grpc.requestCallback<_store_v1_CreateItemResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteItem(argument: _store_v1_DeleteItemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_DeleteItemResponse__Output>): grpc.ClientUnaryCall;
  DeleteItem(argument: _store_v1_DeleteItemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_store_v1_DeleteItemResponse__Output>): grpc.ClientUnaryCall;
  DeleteItem(argument: _store_v1_DeleteItemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_DeleteItemResponse__Output>): grpc.ClientUnaryCall;
  DeleteItem(argument: _store_v1_DeleteItemRequest, callback: grpc.requestCallback<_store_v1_DeleteItemResponse__Output>): grpc.ClientUnaryCall;
  deleteItem(argument: _store_v1_DeleteItemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_DeleteItemResponse__Output>): grpc.ClientUnaryCall;
  deleteItem(argument: _store_v1_DeleteItemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_store_v1_DeleteItemResponse__Output>): grpc.ClientUnaryCall;
  deleteItem(argument: _store_v1_DeleteItemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_DeleteItemResponse__Output>): grpc.ClientUnaryCall;
  deleteItem(argument: _store_v1_DeleteItemRequest, callback: grpc.requestCallback<_store_v1_DeleteItemResponse__Output>): grpc.ClientUnaryCall;
  
  ExportItems(argument: _store_v1_ExportItemsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_store_v1_ExportItemsResponse__Output>;
  ExportItems(argument: _store_v1_ExportItemsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_store_v1_ExportItemsResponse__Output>;
  exportItems(argument: _store_v1_ExportItemsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_store_v1_ExportItemsResponse__Output>;
  exportItems(argument: _store_v1_ExportItemsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_store_v1_ExportItemsResponse__Output>;
  
  GetItem(argument: _store_v1_GetItemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_GetItemResponse__Output>): grpc.ClientUnaryCall;
  GetItem(argument: _store_v1_GetItemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_store_v1_GetItemResponse__Output>): grpc.ClientUnaryCall;
  GetItem(argument: _store_v1_GetItemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_GetItemResponse__Output>): grpc.ClientUnaryCall;
  GetItem(argument: _store_v1_GetItemRequest, callback: grpc.requestCallback<_store_v1_GetItemResponse__Output>): grpc.ClientUnaryCall;
  getItem(argument: _store_v1_GetItemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_GetItemResponse__Output>): grpc.ClientUnaryCall;
  getItem(argument: _store_v1_GetItemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_store_v1_GetItemResponse__Output>): grpc.ClientUnaryCall;
  getItem(argument: _store_v1_GetItemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_GetItemResponse__Output>): grpc.ClientUnaryCall;
  getItem(argument: _store_v1_GetItemRequest, callback: grpc.requestCallback<_store_v1_GetItemResponse__Output>): grpc.ClientUnaryCall;
  
  ListItems(argument: _store_v1_ListItemsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_ListItemsResponse__Output>): grpc.ClientUnaryCall;
  ListItems(argument: _store_v1_ListItemsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_store_v1_ListItemsResponse__Output>): grpc.ClientUnaryCall;
  ListItems(argument: _store_v1_ListItemsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_ListItemsResponse__Output>): grpc.ClientUnaryCall;
  ListItems(argument: _store_v1_ListItemsRequest, callback: grpc.requestCallback<_store_v1_ListItemsResponse__Output>): grpc.ClientUnaryCall;
  listItems(argument: _store_v1_ListItemsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_ListItemsResponse__Output>): grpc.ClientUnaryCall;
  listItems(argument: _store_v1_ListItemsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_store_v1_ListItemsResponse__Output>): grpc.ClientUnaryCall;
  listItems(argument: _store_v1_ListItemsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_ListItemsResponse__Output>): grpc.ClientUnaryCall;
  listItems(argument: _store_v1_ListItemsRequest, callback: grpc.requestCallback<_store_v1_ListItemsResponse__Output>): grpc.ClientUnaryCall;
  
  UpdateItem(argument: _store_v1_UpdateItemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_UpdateItemResponse__Output>): grpc.ClientUnaryCall;
  UpdateItem(argument: _store_v1_UpdateItemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_store_v1_UpdateItemResponse__Output>): grpc.ClientUnaryCall;
  UpdateItem(argument: _store_v1_UpdateItemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_UpdateItemResponse__Output>): grpc.ClientUnaryCall;
  UpdateItem(argument: _store_v1_UpdateItemRequest, callback: grpc.requestCallback<_store_v1_UpdateItemResponse__Output>): grpc.ClientUnaryCall;
  updateItem(argument: _store_v1_UpdateItemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_UpdateItemResponse__Output>): grpc.ClientUnaryCall;
  updateItem(argument: _store_v1_UpdateItemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_store_v1_UpdateItemResponse__Output>): grpc.ClientUnaryCall;
  updateItem(argument: _store_v1_UpdateItemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_store_v1_UpdateItemResponse__Output>): grpc.ClientUnaryCall;
  updateItem(argument: _store_v1_UpdateItemRequest, callback: grpc.requestCallback<_store_v1_UpdateItemResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ItemsServiceHandlers extends grpc.UntypedServiceImplementation {
  CreateItem: grpc.handleUnaryCall<_store_v1_CreateItemRequest__Output, _store_v1_CreateItemResponse>;
  
  DeleteItem: grpc.handleUnaryCall<_store_v1_DeleteItemRequest__Output, _store_v1_DeleteItemResponse>;
  
  ExportItems: grpc.handleServerStreamingCall<_store_v1_ExportItemsRequest__Output, _store_v1_ExportItemsResponse>;
  
  GetItem: grpc.handleUnaryCall<_store_v1_GetItemRequest__Output, _store_v1_GetItemResponse>;
  
  ListItems: grpc.handleUnaryCall<_store_v1_ListItemsRequest__Output, _store_v1_ListItemsResponse>;
  
  UpdateItem: grpc.handleUnaryCall<_store_v1_UpdateItemRequest__Output, _store_v1_UpdateItemResponse>;
  
}

export interface ItemsServiceDefinition extends grpc.ServiceDefinition {
  CreateItem: MethodDefinition<_store_v1_CreateItemRequest, _store_v1_CreateItemResponse, _store_v1_CreateItemRequest__Output, _store_v1_CreateItemResponse__Output>
  DeleteItem: MethodDefinition<_store_v1_DeleteItemRequest, _store_v1_DeleteItemResponse, _store_v1_DeleteItemRequest__Output, _store_v1_DeleteItemResponse__Output>
  ExportItems: MethodDefinition<_store_v1_ExportItemsRequest, _store_v1_ExportItemsResponse, _store_v1_ExportItemsRequest__Output, _store_v1_ExportItemsResponse__Output>
  GetItem: MethodDefinition<_store_v1_GetItemRequest, _store_v1_GetItemResponse, _store_v1_GetItemRequest__Output, _store_v1_GetItemResponse__Output>
  ListItems: MethodDefinition<_store_v1_ListItemsRequest, _store_v1_ListItemsResponse, _store_v1_ListItemsRequest__Output, _store_v1_ListItemsResponse__Output>
  UpdateItem: MethodDefinition<_store_v1_UpdateItemRequest, _store_v1_UpdateItemResponse, _store_v1_UpdateItemRequest__Output, _store_v1_UpdateItemResponse__Output>
}
