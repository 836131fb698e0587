import { browserTestConfig } from '../vitest.shared.mts';

// Real Chromium with the built extension (built once by the global setup).
export default browserTestConfig({
  globalSetup: ['test/browser/global-setup.ts'],
});
