export { type AppDependencies, buildApp, identityFromConfig, SERVICE_NAME } from './app';
export { type __Pascal__Config, configVariables, loadConfig } from './config';
export { startService } from './service';
