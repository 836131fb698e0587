import { browserTestConfig } from '../../vitest.shared';

// Real Chromium against the real local stack (the stack takes a while to start on a loaded machine).
export default browserTestConfig({ testTimeout: 30_000, hookTimeout: 120_000 });
