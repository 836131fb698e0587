import { mergeConfig } from 'vitest/config';
import { SHARED_WORKER, sharedConfig } from '../vitest.shared.mts';

export default mergeConfig(mergeConfig(sharedConfig, SHARED_WORKER), {
  // The global setup (which renders the corpus once) runs in vitest's own `__vitest__` environment,
  // which takes neither `resolve` nor `ssr.resolve`: give it the workspace source condition too, so
  // it can read @pr-canary/contracts (the service registry) like the tests do.
  environments: { __vitest__: { resolve: { conditions: ['pr-canary-source', 'node'] } } },
  test: { globalSetup: ['test/global-setup.ts'] },
});
