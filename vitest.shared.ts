import { defineConfig } from 'vitest/config';

/**
 * One vitest setup for every workspace. Workspace packages resolve to their TypeScript sources
 * through the `pr-canary-source` export condition, so tests never need a build first.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['pr-canary-source', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['pr-canary-source', 'node', 'import', 'default'] } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.browser.test.ts', 'node_modules/**'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
