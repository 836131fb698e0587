import { mergeConfig } from 'vitest/config';
import { sharedConfig, sharedWorkerExcept } from '../../vitest.shared.mts';

export default sharedWorkerExcept(
  mergeConfig(sharedConfig, {
    test: { setupFiles: ['test/loopback-only.ts'], globalSetup: ['../../vitest.compiled.ts'] },
  }),
  // Fake clocks that uuid's module state would remember; the AWS variables the credential test empties.
  ['test/ids.test.ts', 'test/dynamodb-client.test.ts'],
);
