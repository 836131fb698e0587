import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { describe, it, type TestContext } from 'vitest';

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const FIXTURE = 'test/fixtures/traced-app.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string } }[];
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

/** A minimal OTLP/HTTP JSON receiver on port 0 collecting every exported span. */
async function startReceiver(onTestFinished: TestContext['onTestFinished']) {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.url !== '/v1/traces') return void res.writeHead(404).end();
      const payload = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
      for (const resource of payload.resourceSpans)
        for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { spans, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Runs the fixture the way services start: tsx plus `--require @pr-canary/canary-context/register`. */
function runFixture(env: Record<string, string>) {
  return new Promise<{ result: Record<string, unknown>; stdout: string; stderr: string }>(
    (resolve, reject) => {
      execFile(
        process.execPath,
        [
          '--conditions=pr-canary-source',
          '--import',
          'tsx',
          '--require',
          '@pr-canary/canary-context/register',
          FIXTURE,
        ],
        {
          cwd: PACKAGE_ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            OTEL_SERVICE_NAME: 'traced-api',
            CANARY_TRACK: 'pr-7',
            ...env,
          },
          timeout: 60_000,
        },
        (error, stdout, stderr) => {
          if (error) return reject(new Error(`fixture failed: ${error.message}\n${stderr}`));
          const last = stdout.trim().split('\n').at(-1) ?? '{}';
          resolve({
            result: (JSON.parse(last) as { result: Record<string, unknown> }).result,
            stdout,
            stderr,
          });
        },
      );
    },
  );
}

const attribute = (span: OtlpSpan, key: string) =>
  span.attributes.find((a) => a.key === key)?.value.stringValue;

// Each test starts one child process (loading the OTel SDK dominates); sequential to spare shared CPUs.
describe('register (tracing loaded with --require)', { timeout: 60_000 }, () => {
  it('stamps every span with canary.key and canary.track and propagates the trace over gRPC metadata', async ({
    onTestFinished,
    expect,
  }) => {
    const receiver = await startReceiver(onTestFinished);
    const { result, stdout } = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    expect(result).toMatchObject({ tracing: true, status: 200, xCanary: '42' });
    const body = result.body as { baggageCanary: string; traceparent: string };
    expect(body.baggageCanary).toBe('42');

    const httpServer = receiver.spans.find((s) => s.kind === SPAN_KIND_SERVER && s.name.startsWith('GET'));
    const grpcClient = receiver.spans.find(
      (s) => s.kind === SPAN_KIND_CLIENT && s.name.includes('EchoService/Unary'),
    );
    const grpcServer = receiver.spans.find(
      (s) => s.kind === SPAN_KIND_SERVER && s.name.includes('EchoService/Unary'),
    );
    if (!httpServer || !grpcClient || !grpcServer)
      throw new Error(`missing spans: ${receiver.spans.map((s) => s.name)}`);
    expect(grpcServer.traceId).toBe(httpServer.traceId);
    expect(grpcServer.parentSpanId).toBe(grpcClient.spanId);
    expect(body.traceparent).toBe(`00-${grpcClient.traceId}-${grpcClient.spanId}-01`);
    const requestSpans = receiver.spans.filter((s) => s.traceId === httpServer.traceId);
    expect(requestSpans.length).toBeGreaterThanOrEqual(4); // http server, @fastify/otel request, grpc client + server
    for (const span of requestSpans) {
      expect(attribute(span, 'canary.key'), span.name).toBe('42');
      expect(attribute(span, 'canary.track'), span.name).toBe('pr-7');
    }

    const hopLog = stdout
      .split('\n')
      .filter((line) => line.startsWith('{"level"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'hop');
    expect(hopLog).toMatchObject({
      trace_id: httpServer.traceId,
      canary: '42',
      service: 'traced-api',
      track: 'pr-7',
    });
  });

  it('does nothing with OTEL_SDK_DISABLED=true, while the canary key still flows', async ({
    onTestFinished,
    expect,
  }) => {
    const receiver = await startReceiver(onTestFinished);
    const { result } = await runFixture({
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    });
    expect(result).toMatchObject({
      tracing: false,
      status: 200,
      xCanary: '42',
      body: { baggageCanary: null },
    });
    expect(receiver.spans).toEqual([]);
  });

  it('stays quiet on stderr when no collector is listening', async ({ expect }) => {
    const { result, stderr } = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    });
    expect(result).toMatchObject({ tracing: true, status: 200 });
    expect(stderr).toBe('');
  });
});
