import { mergeConfig } from 'vitest/config';
import { SHARED_WORKER, sharedConfig } from '../../vitest.shared.mts';

export default mergeConfig(sharedConfig, SHARED_WORKER);
