/**
 * One HTTP request → one trace across both services: api and store run as real processes with the
 * telemetry register preloaded, exporting OTLP/HTTP JSON to a tiny receiver in this test.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningPort, type ServiceProcess, startService } from './processes';
import { type RunningDynalite, startDynalite } from './stack';

const PROCESS_TEST_TIMEOUT_MS = 120_000;
const TRACE_WAIT_MS = 30_000;

interface ReceivedSpan {
  service: string;
  traceId: string;
  name: string;
  attributes: Record<string, string>;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean };
}

interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: { traceId: string; name: string; attributes?: OtlpAttribute[] }[] }[];
  }[];
}

function attributeMap(attributes: OtlpAttribute[] = []): Record<string, string> {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [key, String(value.stringValue ?? value.intValue ?? value.boolValue)]),
  );
}

/** Accepts OTLP/HTTP JSON trace exports and keeps every span. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const payload = JSON.parse(body) as OtlpExport;
        for (const resourceSpans of payload.resourceSpans ?? []) {
          const service = attributeMap(resourceSpans.resource?.attributes)['service.name'] ?? '';
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              spans.push({
                service,
                traceId: span.traceId,
                name: span.name,
                attributes: attributeMap(span.attributes),
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

let db: RunningDynalite;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
const services: ServiceProcess[] = [];

beforeAll(async () => {
  db = await startDynalite();
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  for (const service of services) await service.stop();
  if (receiver) await new Promise((resolve) => receiver.server.close(resolve));
  await db?.close();
});

function otelEnv(serviceName: string): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: serviceName,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
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
