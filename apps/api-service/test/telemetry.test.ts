/**
 * One HTTP request → one trace across both services: api and store run as real processes with the
 * telemetry register preloaded, exporting OTLP/HTTP JSON to a tiny receiver in this test.
 */
import { randomUUID } from 'node:crypto';
import {
  listeningPort,
  type OtlpReceiver,
  type RunningDynalite,
  type ServiceProcess,
  startDynalite,
  startOtlpReceiver,
} from '@pr-canary/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from './stack';

const PROCESS_TEST_TIMEOUT_MS = 120_000;
const TRACE_WAIT_MS = 30_000;

let db: RunningDynalite;
let receiver: OtlpReceiver;
const services: ServiceProcess[] = [];

beforeAll(async () => {
  db = await startDynalite();
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  for (const service of services) await service.stop();
  await receiver?.close();
  await db?.close();
});

function otelEnv(serviceName: string): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: serviceName,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    PORT: '0',
    METRICS_PORT: '0',
  };
}

/** A trace id that has spans from both services, each side with a span stamped with the key. */
function sharedTraceCarrying(key: string): string | undefined {
  const traceIds = new Set(receiver.spans.map((span) => span.traceId));
  return [...traceIds].find((traceId) => {
    const inTrace = receiver.spans.filter((span) => span.traceId === traceId);
    const stamped = (service: string) =>
      inTrace.some((span) => span.service === service && span.attributes['canary.key'] === key);
    return stamped('api-service') && stamped('store-service');
  });
}

describe('telemetry across api and store processes', () => {
  it(
    'one request with X-Canary: 42 yields one trace whose api and store spans carry canary.key=42',
    async () => {
      const store = startService('store-service', {
        ...otelEnv('store-service'),
        DYNAMODB_TABLE: `items-${randomUUID()}`,
        DYNAMODB_ENDPOINT: db.endpoint,
        DYNAMODB_CREATE_TABLE: 'true',
        AWS_REGION: 'us-east-1',
      });
      services.push(store);
      const storePort = await listeningPort(store);
      const api = startService('api-service', {
        ...otelEnv('api-service'),
        STORE_ADDR: `127.0.0.1:${storePort}`,
      });
      services.push(api);
      const apiPort = await listeningPort(api);

      const response = await fetch(`http://127.0.0.1:${apiPort}/api/items?limit=5`, {
        headers: { 'x-canary': '42' },
      });
      expect(response.status).toBe(200);

      const deadline = Date.now() + TRACE_WAIT_MS;
      let traceId = sharedTraceCarrying('42');
      while (!traceId && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        traceId = sharedTraceCarrying('42');
      }
      expect(traceId, `spans received: ${JSON.stringify(receiver.spans.slice(0, 20))}`).toBeDefined();
      const traceIds = new Set(
        receiver.spans.filter((span) => span.attributes['canary.key'] === '42').map((span) => span.traceId),
      );
      expect([...traceIds]).toEqual([traceId]);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
