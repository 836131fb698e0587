import { browserTestConfig } from '../../vitest.shared.mts';

// Real Chromium against the real local stack, with the shared 20 s bounds: the suite's set-up is
// steps of their own (build the UI, serve it and start the stack, launch Chromium; test/browser-helper.ts).
export default browserTestConfig();
