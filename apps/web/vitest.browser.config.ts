import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared';

/**
 * Real Chromium against the real local stack, one file at a time (2 shared cores). Built by hand rather
 * than with mergeConfig, which would append to the shared `exclude` (that excludes browser tests).
 */
export default defineConfig({
  ...sharedConfig,
  test: {
    ...sharedConfig.test,
    include: ['test/**/*.browser.test.ts'],
    exclude: ['node_modules/**'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
