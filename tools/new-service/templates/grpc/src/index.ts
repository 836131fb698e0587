export { type AppDependencies, buildApp, identityFromConfig, SERVICE_NAME } from './app';
export { type __Pascal__Config, configVariables, loadConfig } from './config';
export { __short_camel__Contract, GRPC_SERVICE_NAME } from './contract';
export { InvalidArgumentError, toStatus } from './errors';
export { startService } from './service';
