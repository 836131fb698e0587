import {
  listeningPort,
  loadedPackages,
  type RunningDynalite,
  SERVICE_PRELOAD_REPORTING_PACKAGES,
  type ServiceProcess,
  startDynalite,
} from '@pr-canary/test-support';
/**
 * The entry point as a real process: config errors exit 1 naming the variable; PORT=0 binds an
 * ephemeral port and logs it; SIGTERM shuts down in order and exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, type RunningStore, startService, startStore } from './stack';

/**
 * What an untraced service loads of OpenTelemetry for W3C baggage (canary-context's otel-context.ts):
 * the API, and its core with the semantic conventions core loads.
 */
const BAGGAGE_CODEC = ['@opentelemetry/api', '@opentelemetry/core', '@opentelemetry/semantic-conventions'];

let db: RunningDynalite;
let store: RunningStore;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  db = await startDynalite();
  store = await startStore({ endpoint: db.endpoint, table: await createTable(db.endpoint) });
});

afterAll(async () => {
  for (const service of started) await service.stop();
  await store?.close();
  await db?.close();
});

function startApiProcess(env: Record<string, string>, preload?: readonly string[]): ServiceProcess {
  const service = startService('api-service', { OTEL_SDK_DISABLED: 'true', ...env }, preload);
  started.push(service);
  return service;
}

describe('api-service entry point', () => {
  it('exits 1 with a message naming the bad variables, without their values', async () => {
    const service = startApiProcess({
      PORT: 'eighty',
      CORS_ALLOWED_ORIGINS: 'https://secret-token@x.example',
    });
    expect(await service.exited).toBe(1);
    const stderr = service.stderr();
    expect(stderr).toContain('STORE_ADDR');
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('CORS_ALLOWED_ORIGINS');
    expect(stderr).not.toContain('secret-token');
  });

  it('listens on HOST and an ephemeral port (one `listening` line), serves, exposes /metrics, and exits 0 on SIGTERM after draining', async () => {
    const service = startApiProcess({
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      STORE_ADDR: store.addr,
      SHUTDOWN_DRAIN_MS: '50',
      SERVICE_VERSION: '0.4.0',
      CANARY_TRACK: 'pr-42',
    });
    const port = await listeningPort(service);
    expect(port).toBeGreaterThan(0);
    const listening = service.logs.find((line) => line.msg === 'listening');
    expect(listening).toMatchObject({ service: 'api-service', track: 'pr-42', version: '0.4.0' });
    expect(service.logs.filter((line) => /listening/i.test(String(line.msg)))).toEqual([listening]);

    const route = await fetch(`http://127.0.0.1:${port}/api/route`, { headers: { 'x-canary': '42' } });
    expect(route.status).toBe(200);
    expect(route.headers.get('x-served-by')).toBe(
      'api-service;track="pr-42";version="0.4.0", store-service;track="stable";version="0.4.0-test"',
    );

    const metrics = await fetch(`http://127.0.0.1:${Number(listening?.metricsPort)}/metrics`);
    expect(await metrics.text()).toMatch(
      /pr_canary_http_requests_total\{[^}]*route="\/api\/route"[^}]*track="pr-42"/,
    );

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.logs.some((line) => line.msg === 'shutting down')).toBe(true);
  });

  it('untraced, loads nothing of OpenTelemetry until a call carries a key, then only the baggage codec', async () => {
    /** The OpenTelemetry packages an untraced api loaded, having served /healthz and /api/route with `headers`. */
    const openTelemetryAfter = async (headers: Record<string, string>) => {
      const service = startApiProcess(
        { HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', STORE_ADDR: store.addr, SHUTDOWN_DRAIN_MS: '0' },
        SERVICE_PRELOAD_REPORTING_PACKAGES,
      );
      const port = await listeningPort(service);
      for (const route of ['/healthz', '/api/route'])
        expect((await fetch(`http://127.0.0.1:${port}${route}`, { headers })).status).toBe(200);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      return loadedPackages(service).filter((name) => name.startsWith('@opentelemetry/'));
    };
    expect(await openTelemetryAfter({})).toEqual([]);
    // The key goes on to the store in the metadata and in W3C baggage, written with OTel's codec.
    expect(await openTelemetryAfter({ 'x-canary': '42' })).toEqual(BAGGAGE_CODEC);
  });
});
