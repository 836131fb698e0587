// Original file: store/v1/store.proto

import type { Long } from '@grpc/proto-loader';

export interface DeleteItemRequest {
  'id'?: (string);
  'expectedVersion'?: (number | string | Long);
}

export interface DeleteItemRequest__Output {
  'id': (string);
  'expectedVersion': (number);
}
