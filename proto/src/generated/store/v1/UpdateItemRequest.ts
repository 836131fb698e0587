// Original file: store/v1/store.proto

import type { Long } from '@grpc/proto-loader';

export interface UpdateItemRequest {
  'id'?: (string);
  'expectedVersion'?: (number | string | Long);
  'name'?: (string);
  'description'?: (string);
  'priceCents'?: (number | string | Long);
}

export interface UpdateItemRequest__Output {
  'id': (string);
  'expectedVersion': (number);
  'name': (string);
  'description': (string);
  'priceCents': (number);
}
