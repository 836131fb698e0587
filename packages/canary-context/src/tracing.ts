/**
 * What tracing needs from the canary context, and nothing heavier: the span processor that stamps
 * `canary.key`/`canary.track`, and the probe paths left untraced. `@pr-canary/service-kit/register`
 * loads this entry before the app, so it must not pull in grpc-js, Fastify or the OTel SDK.
 */
export { activeSpanContext, isTracingActive } from './otel-api';
export { UNTRACED_PATHS } from './otel-context';
export {
  CANARY_KEY_ATTRIBUTE,
  CANARY_TRACK_ATTRIBUTE,
  CanarySpanProcessor,
  canaryKeyAttribute,
} from './span-processor';
