export { type __Pascal__Config, configSchema, loadConfig } from './config';
export { __short_camel__Contract, GRPC_SERVICE_NAME } from './contract';
export { createServer, SERVICE_NAME, start__Pascal__Service } from './service';
