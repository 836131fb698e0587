export {
  assertFaultsAllowed,
  booleanVariable,
  type CommonEnv,
  ConfigError,
  commonEnvSchema,
  hostVariable,
  millisecondsVariable,
  parseEnv,
  portVariable,
} from './config';
export { routeLibraryLogs } from './library-logs';
export { announceListening, isListeningMessage, type ListeningMessage } from './listening';
export { createLogger, type LoggerOptions, serializeError } from './logger';
export { type MetricsServer, startMetricsServer } from './metrics-server';
export { type RunningService, type RunServiceOptions, runService } from './run-service';
export { LOG_TEXT_MAX_LENGTH, safeText } from './safe-text';
export { installShutdown, type ShutdownOptions } from './shutdown';
export { shutdownTelemetry } from './telemetry-handle';
