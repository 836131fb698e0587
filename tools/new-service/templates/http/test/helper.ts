import { createServiceMetrics } from '@pr-canary/canary-context';
import { createLogger } from '@pr-canary/service-kit';
import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** The app as a given track runs it, closed after the test. */
export function appFor(env: Record<string, string> = {}): FastifyInstance {
  const config = loadConfig({ SERVICE_VERSION: '1.2.3', ...env });
  const identity = {
    service: '__service_name__',
    track: config.CANARY_TRACK,
    version: config.SERVICE_VERSION,
  };
  const app = buildApp({
    config,
    logger: createLogger({ identity, level: 'silent' }),
    metrics: createServiceMetrics({ identity }),
  });
  apps.push(app);
  return app;
}
