import { createServiceMetrics } from '@pr-canary/canary-context';
import { createFaults, createLogger } from '@pr-canary/service-kit';
import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import { buildApp, identityFromConfig } from '../src/app';
import { loadConfig } from '../src/config';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** The app as a given track runs it, closed after the test. */
export function appFor(env: Record<string, string> = {}): FastifyInstance {
  const config = loadConfig({ SERVICE_VERSION: '1.2.3', ...env });
  const identity = identityFromConfig(config);
  const logger = createLogger({ identity, level: 'silent' });
  const metrics = createServiceMetrics({ identity });
  const faults = createFaults({ protocol: 'http', config, logger, metrics });
  const app = buildApp({ config, logger, metrics, faults });
  apps.push(app);
  return app;
}
