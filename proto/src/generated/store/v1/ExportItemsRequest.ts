// Original file: store/v1/store.proto


export interface ExportItemsRequest {
}

export interface ExportItemsRequest__Output {
}
