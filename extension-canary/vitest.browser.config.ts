import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../vitest.shared';

// Browser tests only: real Chromium with the built extension, one file at a time (each starts a browser).
// The shared config is spread rather than merged because merging would keep its browser-test exclude.
export default defineConfig({
  ...sharedConfig,
  test: {
    ...sharedConfig.test,
    include: ['test/**/*.browser.test.ts'],
    exclude: ['node_modules/**'],
    globalSetup: ['test/browser/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
