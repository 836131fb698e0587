// Original file: store/v1/store.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateItemRequest {
  'name'?: (string);
  'description'?: (string);
  'priceCents'?: (number | string | Long);
}

export interface CreateItemRequest__Output {
  'name': (string);
  'description': (string);
  'priceCents': (number);
}
