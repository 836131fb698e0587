/** The config helpers: every export of ./config. */
export * from './config';
export {
  type ErrorBody,
  type ErrorHandlingApp,
  type ErrorReply,
  errorBody,
  type HttpErrorMapping,
  INTERNAL_MESSAGE,
  installHttpErrorHandling,
  type PatternRules,
  reasonPhrase,
  replyWithError,
  requestErrorReply,
  type ValidationIssue,
  validationMessage,
} from './http-errors';
export { routeLibraryLogs } from './library-logs';
export { announceListening, isListeningMessage, type ListeningMessage } from './listening';
export { createLogger, type LoggerOptions, serializeError } from './logger';
export { type MetricsServer, startMetricsServer } from './metrics-server';
export { type RunningService, type RunServiceOptions, runService } from './run-service';
export { LOG_TEXT_MAX_LENGTH, safeText } from './safe-text';
export { type FastifyLike, fastifyServer, listenFastify, type ServiceServer } from './service-server';
export { installShutdown, type ShutdownOptions } from './shutdown';
export { shutdownTelemetry } from './telemetry-handle';
export {
  createFaults,
  identityOf,
  type ServiceBasics,
  type ServiceWiring,
  type StartOptions,
  type WireServiceOptions,
  wireService,
} from './wire-service';
