import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { analyzeLocal, type InstanceEndpoint } from '../../src/analyze/analyze';

/**
 * A service the load never reaches (one scaffolded beside the api → store path, say), over real HTTP:
 * an edge that answers the load, and metrics endpoints that count nothing. Left out and said so
 * without a canary of the PR; "cannot tell", with the real reason, with one.
 */

async function serve(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The edge the load goes through: answers every request at once. */
const edge = () =>
  serve((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end('{"items":[]}');
  });

/** A metrics endpoint of an instance nobody called: no series at all. */
const untouchedMetrics = () =>
  serve((_request, response) => {
    response.setHeader('content-type', 'text/plain; version=0.0.4');
    response.end('');
  });

const billing = { name: 'billing-service', protocol: 'http' as const, filter: { route: /.*/ } };

async function analyzeWith(tracks: readonly string[]) {
  const instances: InstanceEndpoint[] = [];
  for (const track of tracks)
    instances.push({
      service: 'billing-service',
      track,
      metricsPort: await untouchedMetrics(),
      state: 'running',
    });
  return analyzeLocal({
    url: `http://127.0.0.1:${await edge()}`,
    pr: '42',
    requests: 40,
    concurrency: 4,
    instances,
    path: [billing],
  });
}

describe('analyze: a service the load does not reach', () => {
  it('without a canary of the PR, is left out of the verdict and named as not on the path', async () => {
    const verdict = await analyzeWith(['stable']);
    expect(verdict.hops.map((h) => h.hop)).toEqual(['edge']);
    expect(verdict.summary).toMatch(
      /\(not judged: billing-service, which this load \(GET \/api\/items\?limit=5 through the dev router\) did not reach on either side\)$/,
    );
  });

  it('with a canary of the PR, is "cannot tell" because the load does not reach it — not "run more calls"', async () => {
    const verdict = await analyzeWith(['stable', 'pr-42']);
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.summary).toContain('its billing-service canary got no calls');
    expect(verdict.summary).toContain('did not reach it, so more of it would not help');
    expect(verdict.summary).not.toContain('run more calls');
    const hop = verdict.hops.find((h) => h.hop === 'billing-service');
    expect(hop?.outcome).toBe('inconclusive');
    expect(hop?.source).toContain('no calls on either side');
  });
});
