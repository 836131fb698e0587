import { browserTestConfig } from '../../vitest.shared.mts';

export default browserTestConfig();
