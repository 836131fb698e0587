import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared';

/**
 * vitest hands `ssr.resolve.conditions` to the test processes as `node --conditions`. The shared
 * list includes `import`, which makes plain `require('big.js')` inside dynalite load big.js's ESM
 * build, and dynalite then rejects every number. Here the SSR list keeps only what Node needs.
 */
const merged = mergeConfig(sharedConfig, {});

export default {
  ...merged,
  ssr: { ...merged.ssr, resolve: { ...merged.ssr?.resolve, conditions: ['pr-canary-source', 'node'] } },
};
