export { type AppDependencies, buildApp, identityFromConfig, listen, SERVICE_NAME } from './app';
export { configSchema, loadConfig, type StoreConfig } from './config';
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
  createHealthRegistry,
  HEALTH_SERVICE_NAMES,
  type HealthRegistry,
  type ServingStatus,
} from './health';
export { isItemId } from './ids';
export {
  createItemsRepository,
  ensureTable,
  type Item,
  type ItemFields,
  type ItemsRepository,
  type ItemsRepositoryDeps,
} from './items-repository';
export { type RunningStore, type StartOptions, startService } from './service';
export {
  createTableMonitor,
  type TableMonitor,
  type TableMonitorDeps,
  type TableState,
} from './table-monitor';
