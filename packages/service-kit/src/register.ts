/**
 * Loaded before the app: `node --max-semi-space-size=2 --require @pr-canary/service-kit/register ...`.
 * Maps stack traces of the project's own compiled code to its TypeScript — only its own: unlike
 * `--enable-source-maps`, this leaves out node_modules, whose source maps (grpc-js, OpenTelemetry, …)
 * cost every service ~7 MB of idle RSS and start-up time for frames nobody reads.
 * Starts tracing from `OTEL_*` (nothing at all when `OTEL_SDK_DISABLED=true`); the app calls
 * `shutdownTelemetry()` during shutdown to flush.
 */
import { setSourceMapsSupport } from 'node:module';
import { startTelemetry } from './telemetry';

setSourceMapsSupport(true, { nodeModules: false });
startTelemetry({ env: process.env });

export { shutdownTelemetry } from './telemetry';
