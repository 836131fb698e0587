import { mergeConfig } from 'vitest/config';
import { SHARED_WORKER, sharedConfig } from '../../vitest.shared';

export default mergeConfig(sharedConfig, SHARED_WORKER);
