export { type AppDependencies, buildApp, identityFromConfig, SERVICE_NAME } from './app';
export { type ApiConfig, configVariables, loadConfig } from './config';
export { GRPC_TO_HTTP_STATUS } from './errors';
export { startService } from './service';
export {
  createStoreClient,
  type ItemFields,
  StoreCallError,
  type StoreClient,
  type StoreClientOptions,
} from './store-client';
