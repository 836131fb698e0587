/**
 * The environment of a store-service run by a test over a test DynamoDB (dynalite): loopback, its
 * ports (gRPC and metrics) from the OS. `createTable`: the store creates its table when it is missing
 * (DYNAMODB_CREATE_TABLE), as where it owns the table; otherwise the table is the test's to make.
 */
export function storeServiceEnv(options: {
  endpoint: string;
  table: string;
  createTable: boolean;
}): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_PORT: '0',
    DYNAMODB_TABLE: options.table,
    DYNAMODB_ENDPOINT: options.endpoint,
    DYNAMODB_CREATE_TABLE: String(options.createTable),
  };
}
