// Original file: store/v1/store.proto


export interface DeleteItemResponse {
}

export interface DeleteItemResponse__Output {
}
