// Original file: store/v1/store.proto


export interface ListItemsRequest {
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface ListItemsRequest__Output {
  'pageSize': (number);
  'pageToken': (string);
}
