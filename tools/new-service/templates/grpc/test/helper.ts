import * as grpc from '@grpc/grpc-js';
import { createServiceMetrics } from '@pr-canary/canary-context';
import { createFaults, createLogger } from '@pr-canary/service-kit';
import { listenGrpc } from '@pr-canary/service-kit/grpc';
import { afterEach } from 'vitest';
import { buildApp, createHealth, identityFromConfig, serviceCalls } from '../src/app';
import { loadConfig } from '../src/config';
import { __short_camel__Contract } from '../src/contract';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A real server, as a given environment configures it, on a loopback port and a client for it, both closed after the test. */
export async function serve(env: Record<string, string> = {}) {
  const config = loadConfig({ SERVICE_VERSION: '1.2.3', ...env });
  const identity = identityFromConfig(config);
  const health = createHealth();
  const metrics = createServiceMetrics({ identity });
  const logger = createLogger({ identity, level: 'silent' });
  const faults = createFaults({ protocol: 'grpc', config, logger, metrics, knownCalls: serviceCalls });
  const server = buildApp({ config, metrics, logger, health, faults });
  const port = await listenGrpc(server, '127.0.0.1', 0);
  const Client = __short_camel__Contract();
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(() => {
    client.close();
    server.forceShutdown();
  });
  return { client, port, health };
}
