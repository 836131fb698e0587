export { configSchema, loadConfig, type StoreConfig } from './config';
export { createDocumentClient, type DynamoClientOptions } from './dynamodb-client';
export {
  InvalidPageTokenError,
  ItemAlreadyExistsError,
  ItemNotFoundError,
  StoreUnavailableError,
  VersionConflictError,
} from './errors';
export type { HandlerLogger } from './handlers';
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
export { type RunningStore, SERVICE_NAME, type StartOptions, startStoreService } from './service';
export { bindStoreServer, createStoreServer, type StoreServerDeps } from './store-server';
export {
  createTableMonitor,
  type TableMonitor,
  type TableMonitorDeps,
  type TableState,
} from './table-monitor';
