// Original file: store/v1/store.proto

import type { Long } from '@grpc/proto-loader';

export interface Item {
  'id'?: (string);
  'name'?: (string);
  'description'?: (string);
  'priceCents'?: (number | string | Long);
  'version'?: (number | string | Long);
  'createdAt'?: (string);
  'updatedAt'?: (string);
}

export interface Item__Output {
  'id': (string);
  'name': (string);
  'description': (string);
  'priceCents': (number);
  'version': (number);
  'createdAt': (string);
  'updatedAt': (string);
}
