import * as net from 'node:net';
import { freePort } from '@pr-canary/test-support';
import Fastify from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defineServiceConfig, envVariable } from '../src/config';
import { createLogger } from '../src/logger';
import { fastifyServer } from '../src/service-server';
import { wireService } from '../src/wire-service';

const { loadConfig } = defineServiceConfig({ GREETING: envVariable((text) => text, 'hello') });

function config(env: Record<string, string> = {}) {
  return loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', ...env });
}

const silent = createLogger({
  identity: { service: 'kit-test', track: 'stable', version: '0' },
  level: 'silent',
});

/** A port something else holds for the rest of the test. */
async function takenPort(): Promise<number> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  return (holder.address() as net.AddressInfo).port;
}

async function refused(url: string): Promise<boolean> {
  return fetch(url).then(
    () => false,
    () => true,
  );
}

describe('wireService', () => {
  it("starts the service's server and the metrics server, and closes server → its resources (last first) → metrics", async () => {
    const steps: string[] = [];
    const service = await wireService(
      config(),
      { name: 'kit-test', protocol: 'http', logger: silent },
      (kit) => {
        kit.onClose(() => steps.push('first resource'));
        kit.onClose(async () => steps.push('second resource'));
        const app = Fastify({ loggerInstance: kit.logger });
        app.get('/hello', async () => ({ service: kit.identity.service, track: kit.identity.track }));
        app.addHook('onClose', async () => {
          steps.push('server');
        });
        return {
          server: fastifyServer(app),
          markNotReady: () => steps.push('not ready'),
          listeningFields: { x: 1 },
        };
      },
    );
    let closed = false;
    onTestFinished(async () => {
      if (!closed) await service.close();
    });

    expect(await (await fetch(`http://127.0.0.1:${service.port}/hello`)).json()).toEqual({
      service: 'kit-test',
      track: 'stable',
    });
    expect((await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).status).toBe(200);
    expect(service.listeningFields).toEqual({ x: 1 });

    service.markNotReady();
    await service.close();
    closed = true;
    expect(steps).toEqual(['not ready', 'server', 'second resource', 'first resource']);
    expect(await refused(`http://127.0.0.1:${service.metricsPort}/metrics`)).toBe(true);
    expect(await refused(`http://127.0.0.1:${service.port}/hello`)).toBe(true);
  });

  it('serves the faults admin endpoint on the metrics port only where CANARY_FAULTS_ADMIN allows it', async () => {
    for (const [admin, status] of [
      ['true', 200],
      ['false', 404],
    ] as const) {
      const service = await wireService(
        config({ CANARY_FAULTS_ADMIN: admin, CANARY_FAULTS: 'latency=5ms' }),
        { name: 'kit-test', protocol: 'http', logger: silent },
        (kit) => {
          expect(kit.faults?.spec.latencyMs).toBe(5);
          return { server: fastifyServer(Fastify()), markNotReady: () => {} };
        },
      );
      onTestFinished(() => service.close());
      expect((await fetch(`http://127.0.0.1:${service.metricsPort}/faults`)).status, admin).toBe(status);
    }
  });

  it('makes no faults where none can be wanted (no CANARY_FAULTS, no admin endpoint), so the app installs nothing for them', async () => {
    let made: unknown = 'not called';
    const service = await wireService(
      config(),
      { name: 'kit-test', protocol: 'grpc', logger: silent },
      (kit) => {
        made = kit.faults;
        return { server: fastifyServer(Fastify()), markNotReady: () => {} };
      },
    );
    onTestFinished(() => service.close());
    expect(made).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${service.metricsPort}/faults`)).status).toBe(404);
  });

  it('closes what it opened, and reports the failure, when the port is taken', async () => {
    const taken = await takenPort();
    const metricsPort = await freePort();
    const steps: string[] = [];
    const start = wireService(
      config({ PORT: String(taken), METRICS_PORT: String(metricsPort) }),
      { name: 'kit-test', protocol: 'http', logger: silent },
      (kit) => {
        kit.onClose(() => steps.push('client closed'));
        return { server: fastifyServer(Fastify()), markNotReady: () => {} };
      },
    );
    await expect(start).rejects.toThrow(/EADDRINUSE/);
    expect(steps).toEqual(['client closed']);
    expect(await refused(`http://127.0.0.1:${metricsPort}/metrics`)).toBe(true);
  });

  it("closes what it opened when the service's own wiring fails, and reports that failure", async () => {
    const steps: string[] = [];
    const start = wireService(
      config(),
      { name: 'kit-test', protocol: 'http', logger: silent },
      async (kit) => {
        kit.onClose(() => steps.push('client closed'));
        kit.onClose(() => {
          throw new Error('closing failed too');
        });
        throw new Error('the table is not there');
      },
    );
    await expect(start).rejects.toThrow('the table is not there');
    expect(steps).toEqual(['client closed']);
  });
});
