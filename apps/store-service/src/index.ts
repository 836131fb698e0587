export { type AppDependencies, buildApp, createHealth, identityFromConfig, SERVICE_NAME } from './app';
export { configVariables, loadConfig, type StoreConfig } from './config';
export { createDocumentClient, type DynamoClientOptions } from './dynamodb-client';
export {
  type HandlerLogger,
  InvalidPageTokenError,
  ItemAlreadyExistsError,
  ItemNotFoundError,
  StoreUnavailableError,
  VersionConflictError,
} from './errors';
export {
  createItemsRepository,
  ensureTable,
  type Item,
  type ItemFields,
  type ItemsRepository,
  type ItemsRepositoryDeps,
} from './items-repository';
export { type StoreStartOptions, startService } from './service';
export {
  createTableMonitor,
  type TableMonitor,
  type TableMonitorDeps,
  type TableState,
} from './table-monitor';
