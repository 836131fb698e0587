export {
  ABSENT_KEY,
  CANARY_BAGGAGE_KEY,
  CANARY_HEADER,
  CANARY_WARNING_HEADER,
  type CanaryKey,
  formatCanaryWarning,
  type InvalidReason,
  parseCanaryKey,
  parseTrack,
  SERVED_BY_HEADER,
  type Track,
  trackForKey,
} from '@pr-canary/contracts/canary-key';
export {
  formatServedBy,
  isValidEntry,
  parseServedBy,
  type ServedByEntry,
} from '@pr-canary/contracts/served-by';
export {
  type CanaryScope,
  createScope,
  currentCanaryKey,
  currentScope,
  runInScope,
  runWithCanary,
} from './context';
export {
  type CanaryHeaderOptions,
  type CanaryPluginOptions,
  canaryFastifyPlugin,
  canaryHeaderLines,
  canaryResponseHeaders,
} from './fastify-plugin';
export { FAULTS_PATH, handleFaultAdmin } from './fault-admin';
export { type FaultPluginOptions, faultFastifyPlugin } from './fault-fastify';
export { faultServerInterceptor } from './fault-grpc';
export {
  FAULT_ATTRIBUTE,
  type FaultDecision,
  FaultInjector,
  type FaultInjectorOptions,
  type FaultKind,
  type FaultProtocol,
  injectedFaultMessage,
  isInjectedFaultMessage,
} from './fault-injector';
export {
  type FaultSpec,
  FaultSpecError,
  type FaultTarget,
  formatFaultSpec,
  hasFaults,
  NO_FAULTS,
  parseFaultSpec,
  parseFaultTarget,
} from './faults';
export {
  type CanaryClientInterceptorOptions,
  type CanaryServerInterceptorOptions,
  canaryClientInterceptor,
  canaryKeyFromMetadata,
  canaryServerInterceptor,
} from './grpc';
export {
  assertValidIdentity,
  type InstanceIdentity,
  identityEntry,
  servedByChain,
  servedByFormatter,
} from './identity';
export {
  type CanaryLabel,
  canaryLabel,
  createServiceMetrics,
  DURATION_BUCKETS,
  type GrpcObservation,
  type HttpObservation,
  METRIC_DEFINITIONS,
  type MetricDefinition,
  type ServiceMetrics,
} from './metrics';
export { contextWithCanaryBaggage } from './otel-context';
export {
  isRouteUnavailableMessage,
  type RoutedServiceName,
  routeUnavailableMessage,
  type UnavailableState,
} from './route-unavailable';
export { withClientSpan } from './spans';
/** What tracing needs, also on its own light entry (`@pr-canary/canary-context/tracing`). */
export * from './tracing';
