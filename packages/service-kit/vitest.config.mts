import { sharedConfig, sharedWorkerExcept } from '../../vitest.shared.mts';

// The files that start a global OpenTelemetry tracer provider.
export default sharedWorkerExcept(sharedConfig, [
  'test/telemetry-env.test.ts',
  'test/telemetry-env-invalid.test.ts',
  'test/telemetry-start.test.ts',
]);
