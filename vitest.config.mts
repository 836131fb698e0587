import { defineConfig } from 'vitest/config';

// For editors and `npx vitest` at the root: every workspace is a project. `npm test` runs each
// workspace's own `vitest run` through turbo instead.
export default defineConfig({
  test: {
    projects: [
      'proto',
      'packages/*',
      'apps/*',
      'localdev',
      'manifests',
      'extension-canary',
      'tools/*/vitest.config.mts',
    ],
  },
});
