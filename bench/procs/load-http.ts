/**
 * HTTP load generator: autocannon, in its own process. Target: {url, method?, headers?, body?}.
 * Latencies come from autocannon's per-response timings (sub-millisecond), not its whole-ms histogram.
 */
import autocannon from 'autocannon';
import { LatencySample, serveLoadCommands } from '../lib/load-protocol';

interface HttpTarget {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Status that counts as success (default 200). */
  expectStatus?: number;
}

serveLoadCommands(async ({ durationMs, concurrency, target }) => {
  const { url, method = 'GET', headers, body, expectStatus = 200 } = target as unknown as HttpTarget;
  const latencies = new LatencySample();
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const instance = autocannon({
    url,
    method,
    headers,
    body,
    connections: concurrency,
    duration: durationMs / 1000,
    // autocannon stops at its first sample after `duration`: with its 1 s default a 1.5 s run took 2 s.
    sampleInt: 100,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode === expectStatus) {
      ok++;
      latencies.add(responseTime);
    } else errors++;
  });
  const result = await instance;
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: ok,
    errors: errors + result.errors + result.timeouts,
    seconds,
    ...latencies.percentiles(),
  };
});
