import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared';

/**
 * vitest passes `ssr.resolve.conditions` to the test processes as `node --conditions`; the shared
 * list includes `import`, so dynalite's plain `require('big.js')` gets big.js's ESM build and
 * dynalite then rejects every number. Test processes keep only the conditions Node needs here
 * (mergeConfig would concatenate the lists, hence the explicit override).
 */
const merged = mergeConfig(sharedConfig, {});

export default {
  ...merged,
  ssr: { ...merged.ssr, resolve: { ...merged.ssr?.resolve, conditions: ['pr-canary-source', 'node'] } },
};
