import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CreateItemRequest as _store_v1_CreateItemRequest, CreateItemRequest__Output as _store_v1_CreateItemRequest__Output } from './store/v1/CreateItemRequest';
import type { CreateItemResponse as _store_v1_CreateItemResponse, CreateItemResponse__Output as _store_v1_CreateItemResponse__Output } from './store/v1/CreateItemResponse';
import type { DeleteItemRequest as _store_v1_DeleteItemRequest, DeleteItemRequest__Output as _store_v1_DeleteItemRequest__Output } from './store/v1/DeleteItemRequest';
import type { DeleteItemResponse as _store_v1_DeleteItemResponse, DeleteItemResponse__Output as _store_v1_DeleteItemResponse__Output } from './store/v1/DeleteItemResponse';
import type { ExportItemsRequest as _store_v1_ExportItemsRequest, ExportItemsRequest__Output as _store_v1_ExportItemsRequest__Output } from './store/v1/ExportItemsRequest';
import type { ExportItemsResponse as _store_v1_ExportItemsResponse, ExportItemsResponse__Output as _store_v1_ExportItemsResponse__Output } from './store/v1/ExportItemsResponse';
import type { GetItemRequest as _store_v1_GetItemRequest, GetItemRequest__Output as _store_v1_GetItemRequest__Output } from './store/v1/GetItemRequest';
import type { GetItemResponse as _store_v1_GetItemResponse, GetItemResponse__Output as _store_v1_GetItemResponse__Output } from './store/v1/GetItemResponse';
import type { Item as _store_v1_Item, Item__Output as _store_v1_Item__Output } from './store/v1/Item';
import type { ItemsServiceClient as _store_v1_ItemsServiceClient, ItemsServiceDefinition as _store_v1_ItemsServiceDefinition } from './store/v1/ItemsService';
import type { ListItemsRequest as _store_v1_ListItemsRequest, ListItemsRequest__Output as _store_v1_ListItemsRequest__Output } from './store/v1/ListItemsRequest';
import type { ListItemsResponse as _store_v1_ListItemsResponse, ListItemsResponse__Output as _store_v1_ListItemsResponse__Output } from './store/v1/ListItemsResponse';
import type { UpdateItemRequest as _store_v1_UpdateItemRequest, UpdateItemRequest__Output as _store_v1_UpdateItemRequest__Output } from './store/v1/UpdateItemRequest';
import type { UpdateItemResponse as _store_v1_UpdateItemResponse, UpdateItemResponse__Output as _store_v1_UpdateItemResponse__Output } from './store/v1/UpdateItemResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  store: {
    v1: {
      CreateItemRequest: MessageTypeDefinition<_store_v1_CreateItemRequest, _store_v1_CreateItemRequest__Output>
      CreateItemResponse: MessageTypeDefinition<_store_v1_CreateItemResponse, _store_v1_CreateItemResponse__Output>
      DeleteItemRequest: MessageTypeDefinition<_store_v1_DeleteItemRequest, _store_v1_DeleteItemRequest__Output>
      DeleteItemResponse: MessageTypeDefinition<_store_v1_DeleteItemResponse, _store_v1_DeleteItemResponse__Output>
      ExportItemsRequest: MessageTypeDefinition<_store_v1_ExportItemsRequest, _store_v1_ExportItemsRequest__Output>
      ExportItemsResponse: MessageTypeDefinition<_store_v1_ExportItemsResponse, _store_v1_ExportItemsResponse__Output>
      GetItemRequest: MessageTypeDefinition<_store_v1_GetItemRequest, _store_v1_GetItemRequest__Output>
      GetItemResponse: MessageTypeDefinition<_store_v1_GetItemResponse, _store_v1_GetItemResponse__Output>
      Item: MessageTypeDefinition<_store_v1_Item, _store_v1_Item__Output>
      ItemsService: SubtypeConstructor<typeof grpc.Client, _store_v1_ItemsServiceClient> & { service: _store_v1_ItemsServiceDefinition }
      ListItemsRequest: MessageTypeDefinition<_store_v1_ListItemsRequest, _store_v1_ListItemsRequest__Output>
      ListItemsResponse: MessageTypeDefinition<_store_v1_ListItemsResponse, _store_v1_ListItemsResponse__Output>
      UpdateItemRequest: MessageTypeDefinition<_store_v1_UpdateItemRequest, _store_v1_UpdateItemRequest__Output>
      UpdateItemResponse: MessageTypeDefinition<_store_v1_UpdateItemResponse, _store_v1_UpdateItemResponse__Output>
    }
  }
}

