import { Writable } from 'node:stream';
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

/**
 * The app as a given track runs it, closed after the test. Given `logLines`, it logs at debug into
 * it (one parsed JSON line each); otherwise it is silent.
 */
export function appFor(
  env: Record<string, string> = {},
  logLines?: Record<string, unknown>[],
): FastifyInstance {
  const config = loadConfig({ SERVICE_VERSION: '1.2.3', ...env });
  const identity = identityFromConfig(config);
  const destination =
    logLines &&
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
  const logger = createLogger({ identity, level: logLines ? 'debug' : 'silent', destination });
  const metrics = createServiceMetrics({ identity });
  const faults = createFaults({ protocol: 'http', config, logger, metrics });
  const app = buildApp({ config, logger, metrics, faults });
  apps.push(app);
  return app;
}
