import { defineConfig } from 'vitest/config';

/**
 * One vitest setup for every workspace. Workspace packages resolve to their TypeScript sources
 * through the `pr-canary-source` export condition, so tests never need a build first.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['pr-canary-source', 'node', 'import', 'default'] },
  // vitest hands the SSR conditions to test processes as `node --conditions`: keep them to what Node
  // itself needs (`import` there would make CommonJS packages such as dynalite load ESM builds).
  ssr: { resolve: { conditions: ['pr-canary-source', 'node'] } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.browser.test.ts', 'node_modules/**'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
