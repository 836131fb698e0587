/**
 * Loaded before the app: `node --require @pr-canary/service-kit/register ...`.
 * Starts tracing from `OTEL_*` (nothing at all when `OTEL_SDK_DISABLED=true`); the app calls
 * `shutdownTelemetry()` during shutdown to flush.
 */
import { startTelemetry } from './telemetry';

startTelemetry({ env: process.env });

export { shutdownTelemetry } from './telemetry';
