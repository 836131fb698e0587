import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type HealthCheckResponse__Output, healthClientConstructor } from '@pr-canary/proto';
import {
  loadedPackages,
  SERVICE_PRELOAD_REPORTING_PACKAGES,
  type ServiceProcess,
  startServiceProcess,
} from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { dynaliteEndpoint, unary } from './helper';

const PACKAGE_ROOT = path.resolve(__dirname, '..');
/**
 * An HTTP framework's packages. The store serves gRPC only: Fastify and its router, plugin loader and
 * schema compilers cost ~60 ms of start-up when service-kit's index still loaded its Fastify request log.
 */
const HTTP_FRAMEWORK = /^(fastify|@fastify\/.*|find-my-way|avvio|ajv|fast-json-stringify)$/;
/** OpenTelemetry's packages, its API included: with tracing off a service loads none of them (canary-context's otel-api.ts). */
const OPENTELEMETRY = /^@opentelemetry\//;

/** src/server.ts started as `npm start` does, killed when the test ends. */
function startServer(env: Record<string, string>): ServiceProcess {
  const service = startServiceProcess({
    cwd: PACKAGE_ROOT,
    env: { OTEL_SDK_DISABLED: 'true', ...env },
    preload: SERVICE_PRELOAD_REPORTING_PACKAGES,
  });
  onTestFinished(() => service.stop());
  return service;
}

describe('src/server.ts as a process', () => {
  it('listens on an ephemeral port, loading no HTTP framework and, untraced, nothing of OpenTelemetry, then on SIGTERM reports NOT_SERVING, drains and exits 0', async () => {
    const server = startServer({
      PORT: '0',
      METRICS_PORT: '0',
      DYNAMODB_TABLE: 'items',
      DYNAMODB_ENDPOINT: await dynaliteEndpoint(),
      DYNAMODB_CREATE_TABLE: 'true',
      SHUTDOWN_DRAIN_MS: '2000',
    });
    const listening = await server.waitForLog((line) => line.msg === 'listening');
    expect(listening).toMatchObject({
      service: 'store-service',
      track: 'stable',
      port: expect.any(Number),
    });
    expect(listening.port).not.toBe(0);

    const HealthClient = healthClientConstructor();
    const health = new HealthClient(`127.0.0.1:${listening.port}`, grpc.credentials.createInsecure());
    onTestFinished(() => health.close());
    const check = () =>
      unary<HealthCheckResponse__Output>((md, o, cb) => health.check({ service: '' }, md, o, cb));
    expect(await check()).toEqual({ status: 'SERVING' });

    const draining = server.waitForLog((line) => line.msg === 'shutting down');
    server.child.kill('SIGTERM');
    await draining;
    expect(await check()).toEqual({ status: 'NOT_SERVING' });
    expect(await server.exited).toBe(0);
    expect(server.logs.at(-2)).toMatchObject({ msg: 'shutdown complete', code: 0 });
    const packages = loadedPackages(server);
    expect(packages).toContain('@grpc/grpc-js');
    expect(packages.filter((name) => HTTP_FRAMEWORK.test(name))).toEqual([]);
    expect(packages.filter((name) => OPENTELEMETRY.test(name))).toEqual([]);
  });

  it('exits 1 naming the variable when the configuration is invalid', async () => {
    const server = startServer({ PORT: '0', DYNAMODB_CREATE_TABLE: 'maybe' });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toContain('DYNAMODB_TABLE: is required');
    expect(server.stderr()).toContain('DYNAMODB_CREATE_TABLE: must be "true" or "false"');
  });
});
