import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.mts';

export default mergeConfig(sharedConfig, {
  test: { setupFiles: ['test/loopback-only.ts'], globalSetup: ['../../vitest.compiled.ts'] },
});
