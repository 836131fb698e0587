import { mergeConfig } from 'vitest/config';
import { SHARED_WORKER, sharedConfig } from '../vitest.shared.mts';

export default mergeConfig(mergeConfig(sharedConfig, SHARED_WORKER), {
  test: { globalSetup: ['../vitest.compiled.ts'] },
});
