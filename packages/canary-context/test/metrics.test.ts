import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '../src/metrics';

const identity = { service: 'api-service', track: 'stable', version: '1.0.0' } as const;

/** Every sample line of `name` as `{labels} value`. */
function samples(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .map((line) => line.slice(name.length));
}

describe('request counters', () => {
  it('count every request once per label set, scrape after scrape (each is its histogram’s _count)', async () => {
    const metrics = createServiceMetrics({ identity });
    const ok = { method: 'GET', route: '/api/route', statusCode: 200, canary: 'absent' } as const;
    for (let i = 0; i < 3; i++) metrics.recordHttpRequest({ ...ok, seconds: 0.001 });
    metrics.recordHttpRequest({ ...ok, statusCode: 503, canary: 'present', seconds: 0.2 });
    metrics.recordGrpcClientCall({
      service: 'grpc.health.v1.Health',
      method: 'Check',
      code: 'OK',
      seconds: 0.01,
    });

    const expected = [
      '{method="GET",route="/api/route",status_code="200",track="stable",canary="absent"} 3',
      '{method="GET",route="/api/route",status_code="503",track="stable",canary="present"} 1',
    ];
    for (let scrape = 0; scrape < 2; scrape++) {
      const text = await metrics.registry.metrics();
      expect(samples(text, 'pr_canary_http_requests_total')).toEqual(expected);
      expect(samples(text, 'pr_canary_http_request_duration_seconds_count')).toEqual(expected);
      expect(samples(text, 'pr_canary_grpc_client_handled_total')).toEqual([
        '{grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="OK",track="stable"} 1',
      ]);
      expect(text).toContain('# TYPE pr_canary_http_requests_total counter');
    }
    metrics.recordHttpRequest({ ...ok, seconds: 0.001 });
    expect(samples(await metrics.registry.metrics(), 'pr_canary_http_requests_total')[0]).toMatch(/ 4$/);
  });
});
