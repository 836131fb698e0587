import { availableParallelism } from 'node:os';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Test workers sized to the machine. `npm test` runs three workspaces per two cores at a time (turbo
 * `--concurrency` of 1.5 × nproc in the root package.json: tests wait on the processes they spawn
 * about a tenth of the time, and a third task fills it — 4–6 % faster on 2 cores; turbo takes no
 * percentage above 100 %) and turbo sets TURBO_HASH for each of its tasks, so
 * under turbo every workspace's vitest takes one worker; run on its own it takes every core but one.
 */
// biome-ignore lint/suspicious/noUndeclaredEnvVars: turbo sets it for each task; it is no task input
const maxWorkers = process.env.TURBO_HASH ? 1 : Math.max(1, availableParallelism() - 1);

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
    hookTimeout: 20_000,
    pool: 'forks',
    maxWorkers,
  },
});

/**
 * For a workspace whose tests change no process state (no env, globals, timers, mocks, working folder
 * or global OpenTelemetry provider): all its test files run in one worker that imports each module
 * once, instead of a fresh process and fresh imports per file. The suite is bound by two cores' CPU,
 * and an isolated file cost ~0.3–1.5 s of it: the api's Fastify, grpc-js and SDK imports per file made
 * its suite 37 s of CPU where 17.5 s do (localdev 109 → 97 s, canary-context 8 → 5 s).
 * tools/ship-checks/test/test-isolation.test.ts holds those workspaces' tests to the rule.
 */
export const SHARED_WORKER = { test: { isolate: false } } as const;

/**
 * SHARED_WORKER for a workspace where only some test files change process state: those (`ownProcess`,
 * paths from the workspace) run in a process each, as vitest project "own process"; every other file
 * shares one worker, as project "shared worker". Projects are given whole rather than with
 * `extends: true`, which would add `ownProcess` to the shared `include` instead of replacing it.
 */
export function sharedWorkerExcept(config: ViteUserConfig, ownProcess: readonly string[]): ViteUserConfig {
  const test = config.test ?? {};
  return {
    ...config,
    test: {
      ...test,
      projects: [
        {
          ...config,
          test: {
            ...test,
            name: 'shared worker',
            isolate: false,
            exclude: [...(test.exclude ?? []), ...ownProcess],
          },
        },
        { ...config, test: { ...test, name: 'own process', include: [...ownProcess] } },
      ],
    },
  };
}

/**
 * The browser suites (`npm run test:browser`): `*.browser.test.ts` only, real Chromium, one file at a
 * time (each starts a browser on 2 shared cores). Spread rather than merged: merging would keep the
 * shared config's browser-test exclude.
 */
export function browserTestConfig(test: NonNullable<typeof sharedConfig.test> = {}) {
  return defineConfig({
    ...sharedConfig,
    test: {
      ...sharedConfig.test,
      include: ['test/**/*.browser.test.ts'],
      exclude: ['node_modules/**'],
      fileParallelism: false,
      ...test,
    },
  });
}
