import { createServiceMetrics, type InstanceIdentity, METRIC_DEFINITIONS } from '@pr-canary/canary-context';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startMetricsServer } from '../src/metrics-server';

const storeIdentity: InstanceIdentity = { service: 'store-service', track: 'pr-42', version: '0.5.0' };

async function started() {
  const metrics = createServiceMetrics({ identity: storeIdentity });
  const server = await startMetricsServer({ metrics, port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close());
  return { metrics, base: `http://127.0.0.1:${server.port}` };
}

describe('startMetricsServer', () => {
  it('serves the fixed series and default process metrics in Prometheus text format', async () => {
    const { metrics, base } = await started();
    metrics.countInvalidKey('http', 'too_long');
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    for (const { name, type } of METRIC_DEFINITIONS) expect(body).toContain(`# TYPE ${name} ${type}`);
    expect(body).toContain(
      'pr_canary_invalid_canary_key_total{source="http",reason="too_long",track="pr-42"} 1',
    );
    expect(body).toMatch(/^process_cpu_user_seconds_total /m);
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(body).not.toMatch(/service="/);
  });

  it('answers any other path with 404 and another method with 405, in the one JSON error body', async () => {
    const { base } = await started();
    for (const [path, method, statusCode, code] of [
      ['/', 'GET', 404, 'NOT_FOUND'],
      ['/metrics/x', 'GET', 404, 'NOT_FOUND'],
      ['/faults', 'PUT', 404, 'NOT_FOUND'], // no fault admin on this instance
      ['/metrics', 'POST', 405, 'METHOD_NOT_ALLOWED'],
      ['/metrics', 'DELETE', 405, 'METHOD_NOT_ALLOWED'],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status).toBe(statusCode);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const body = await res.json();
      expect(body).toEqual({
        statusCode,
        error: statusCode === 404 ? 'Not Found' : 'Method Not Allowed',
        message: expect.stringMatching(/\S/),
        code,
      });
      if (statusCode === 405) expect(res.headers.get('allow')).toBe('GET');
    }
  });

  it('closes so the port stops answering', async () => {
    const metrics = createServiceMetrics({ identity: storeIdentity });
    const server = await startMetricsServer({ metrics, port: 0, host: '127.0.0.1' });
    await fetch(`http://127.0.0.1:${server.port}/metrics`).then((r) => r.text());
    await server.close();
    await expect(fetch(`http://127.0.0.1:${server.port}/metrics`)).rejects.toThrow();
  });
});

describe('METRIC_DEFINITIONS', () => {
  it('names every series with the pr_canary_ prefix and never a service label', () => {
    for (const { name, labelNames } of METRIC_DEFINITIONS) {
      expect(name).toMatch(/^pr_canary_[a-z_]+$/);
      expect(labelNames).not.toContain('service');
    }
  });
});
