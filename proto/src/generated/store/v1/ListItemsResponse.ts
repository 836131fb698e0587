// Original file: store/v1/store.proto

import type { Item as _store_v1_Item, Item__Output as _store_v1_Item__Output } from '../../store/v1/Item';

export interface ListItemsResponse {
  'items'?: (_store_v1_Item)[];
  'nextPageToken'?: (string);
}

export interface ListItemsResponse__Output {
  'items': (_store_v1_Item__Output)[];
  'nextPageToken': (string);
}
