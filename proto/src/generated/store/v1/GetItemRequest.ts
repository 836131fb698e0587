// Original file: store/v1/store.proto


export interface GetItemRequest {
  'id'?: (string);
}

export interface GetItemRequest__Output {
  'id': (string);
}
