/**
 * Loaded before the app: `node --require @pr-canary/service-kit/register dist/server.js`.
 *
 * 1. Turns on Node's on-disk compile cache (`NODE_COMPILE_CACHE`, else `<tmpdir>/node-compile-cache`)
 *    before anything else is loaded, so a restart of the same code skips compiling its JavaScript
 *    (about a third of a service's start-up CPU). Where the directory is not writable (an image's
 *    read-only root filesystem) it stays off, silently: it is an optimisation only.
 * 2. Maps stack traces of the project's own compiled code to its TypeScript — only its own: unlike
 *    `--enable-source-maps`, this leaves out node_modules, whose source maps (grpc-js, OpenTelemetry, …)
 *    cost every service ~7 MB of idle RSS and start-up time for frames nobody reads.
 * 3. Starts tracing from `OTEL_*` (nothing at all when `OTEL_SDK_DISABLED=true`); the app calls
 *    `shutdownTelemetry()` during shutdown to flush.
 */
import { enableCompileCache, setSourceMapsSupport } from 'node:module';

enableCompileCache();
setSourceMapsSupport(true, { nodeModules: false });
// Loaded after the compile cache is on (a static import would be hoisted above it).
(require('./telemetry') as typeof import('./telemetry')).startTelemetry({ env: process.env });
