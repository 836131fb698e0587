export { type AppDependencies, buildApp, identityFromConfig, SERVICE_NAME } from './app';
export { type __Pascal__Config, configSchema, loadConfig } from './config';
export { type ErrorBody, errorBody } from './errors';
export { startService } from './service';
