import * as path from 'node:path';
import {
  type OtlpReceiver,
  SPAN_KIND_CLIENT,
  SPAN_KIND_SERVER,
  startOtlpReceiver,
  startServiceProcess,
} from '@pr-canary/test-support';

/** The trace of a caller that traces itself; the fixture sends it as `traceparent`. */
const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';

import { describe, it, type TestContext } from 'vitest';

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const FIXTURE = 'test/fixtures/traced-app.ts';

/**
 * Runs the fixture the way services start (tsx plus `--require @pr-canary/service-kit/register`)
 * and returns the `result` it prints last, its JSON log lines and its stderr.
 */
async function runFixture(env: Record<string, string>, onTestFinished: TestContext['onTestFinished']) {
  const fixture = startServiceProcess({
    cwd: PACKAGE_ROOT,
    script: FIXTURE,
    env: {
      OTEL_SERVICE_NAME: 'traced-api',
      CANARY_TRACK: 'pr-7',
      CALLER_TRACEPARENT: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01`,
      ...env,
    },
  });
  onTestFinished(() => fixture.stop());
  const code = await fixture.exited;
  if (code !== 0) throw new Error(`fixture exited with ${code}: ${fixture.stderr()}`);
  const last = fixture.logs.at(-1) as { result: Record<string, unknown> };
  return { result: last.result, logs: fixture.logs, stderr: fixture.stderr() };
}

/** A receiver closed when the test ends. */
async function receiverFor(onTestFinished: TestContext['onTestFinished']): Promise<OtlpReceiver> {
  const receiver = await startOtlpReceiver();
  onTestFinished(() => receiver.close());
  return receiver;
}

// Each test starts one child process (loading the OTel SDK dominates); sequential to spare shared CPUs.
describe('register (tracing loaded with --require)', () => {
  it('stamps every span with canary.key and canary.track and propagates the trace over gRPC metadata', async ({
    onTestFinished,
    expect,
  }) => {
    const receiver = await receiverFor(onTestFinished);
    const { result, logs } = await runFixture(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' },
      onTestFinished,
    );
    expect(result).toMatchObject({ tracing: true, status: 200, xCanary: '42', xTraceId: CALLER_TRACE_ID });
    const body = result.body as { baggageCanary: string; traceparent: string };
    expect(body.baggageCanary).toBe('42');

    const httpServer = receiver.spans.find((s) => s.kind === SPAN_KIND_SERVER && s.name === 'GET /hop/:id');
    const grpcClient = receiver.spans.find(
      (s) => s.kind === SPAN_KIND_CLIENT && s.name === 'test.v1.EchoService/Unary',
    );
    const grpcServer = receiver.spans.find(
      (s) => s.kind === SPAN_KIND_SERVER && s.name === 'test.v1.EchoService/Unary',
    );
    if (!httpServer || !grpcClient || !grpcServer)
      throw new Error(`missing spans: ${receiver.spans.map((s) => s.name)}`);
    // The request continued the caller's trace: its server span is a child of the caller's span.
    expect(httpServer.traceId).toBe(CALLER_TRACE_ID);
    expect(httpServer.parentSpanId).toBe(CALLER_SPAN_ID);
    expect(httpServer.attributes).toMatchObject({
      'http.route': '/hop/:id',
      'http.response.status_code': '200',
    });
    expect(grpcClient.parentSpanId).toBe(httpServer.spanId);
    expect(grpcServer.traceId).toBe(httpServer.traceId);
    expect(grpcServer.parentSpanId).toBe(grpcClient.spanId);
    expect(grpcServer.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.grpc.status_code': '0' });
    expect(body.traceparent).toBe(`00-${grpcClient.traceId}-${grpcClient.spanId}-01`);
    // One span per hop side: HTTP server, gRPC client, gRPC server — nothing per hook, handler or socket.
    const requestSpans = receiver.spans.filter((s) => s.traceId === httpServer.traceId);
    expect(requestSpans.map((s) => s.name).sort()).toEqual(
      [httpServer.name, grpcClient.name, grpcServer.name].sort(),
    );
    // The probe before it left no trace.
    expect(receiver.spans.filter((s) => s.traceId !== httpServer.traceId)).toEqual([]);
    for (const span of requestSpans) {
      expect(span.attributes['canary.key'], span.name).toBe('42');
      expect(span.attributes['canary.track'], span.name).toBe('pr-7');
    }

    const hopLog = logs.find((line) => line.msg === 'hop');
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
    const receiver = await receiverFor(onTestFinished);
    const { result } = await runFixture(
      { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
      onTestFinished,
    );
    expect(result).toMatchObject({
      tracing: false,
      status: 200,
      xCanary: '42',
      body: { baggageCanary: null },
    });
    expect(receiver.spans).toEqual([]);
  });

  it('stays quiet on stderr when no collector is listening', async ({ onTestFinished, expect }) => {
    const { result, stderr } = await runFixture(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_BSP_SCHEDULE_DELAY: '20',
        OTEL_EXPORTER_OTLP_TIMEOUT: '500',
      },
      onTestFinished,
    );
    expect(result).toMatchObject({ tracing: true, status: 200 });
    expect(stderr).toBe('');
  });
});
