// Original file: store/v1/store.proto

import type { Item as _store_v1_Item, Item__Output as _store_v1_Item__Output } from '../../store/v1/Item';

export interface CreateItemResponse {
  'item'?: (_store_v1_Item | null);
}

export interface CreateItemResponse__Output {
  'item': (_store_v1_Item__Output | null);
}
