import * as path from 'node:path';
import { startServiceProcess } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';

const PACKAGE_ROOT = path.resolve(__dirname, '..');

function runFixture(env: Record<string, string>) {
  const child = startServiceProcess({
    cwd: PACKAGE_ROOT,
    script: 'test/fixtures/run-service.ts',
    preload: [],
    env,
  });
  onTestFinished(() => child.stop());
  return child;
}

describe('runService (every service’s server.ts)', () => {
  it('announces listening only after SIGTERM is handled, then shuts down in order and exits 0', async () => {
    const child = runFixture({});
    const listening = await child.waitForLog((line) => line.msg === 'listening');
    expect(listening).toMatchObject({ port: 4321, metricsPort: 4322, peer: 'store:8080' });
    child.child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    const steps = child.logs.map((line) => line.msg).filter((msg) => msg !== 'listening');
    expect(steps).toEqual(['shutting down', 'step: not ready', 'step: closed', 'shutdown complete']);
  });

  it('names each bad variable on stderr, never its value, and exits 1 without starting', async () => {
    const child = runFixture({ LOG_LEVEL: 'loud\u001b[31m', FAIL_START: 'maybe' });
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toMatch(/^fixture-service: invalid configuration: LOG_LEVEL.*FAIL_START/);
    expect(child.stderr()).not.toContain('loud');
    expect(child.stderr()).not.toContain('maybe');
    expect(child.logs).toEqual([]);
  });

  it('says why start failed and exits 1', async () => {
    const child = runFixture({ FAIL_START: '1' });
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toBe('fixture-service: failed to start: the database is not there');
  });
});
