import * as path from 'node:path';
import { type InstanceIdentity, parseCanaryKey, runWithCanary } from '@pr-canary/canary-context';
import { logLines, startServiceProcess } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../src/logger';

const storeIdentity: InstanceIdentity = { service: 'store-service', track: 'pr-42', version: '0.5.0' };

function capture() {
  const { lines, stream } = logLines();
  return { lines, logger: createLogger({ identity: storeIdentity, level: 'debug', destination: stream }) };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createLogger', () => {
  it('writes JSON with service, track and version on every line', async () => {
    const { lines, logger } = capture();
    logger.info({ port: 8080 }, 'listening');
    await flush();
    expect(lines[0]).toMatchObject({
      service: 'store-service',
      track: 'pr-42',
      version: '0.5.0',
      port: 8080,
      msg: 'listening',
    });
    expect(lines[0]).not.toHaveProperty('canary');
  });

  it('adds the canary key of the current scope, and only "invalid" for an invalid one', async () => {
    const { lines, logger } = capture();
    runWithCanary(parseCanaryKey('42'), () => logger.info('valid'));
    runWithCanary(parseCanaryKey('42<script>'), () => logger.info('invalid'));
    await flush();
    expect(lines.map((l) => l.canary)).toEqual(['42', 'invalid']);
  });

  it('serializes errors under err and redacts credentials in headers', async () => {
    const { lines, logger } = capture();
    logger.error(
      {
        err: new Error('store unavailable'),
        req: { headers: { authorization: 'Bearer secret', cookie: 'sid=1', accept: '*/*' } },
      },
      'request failed',
    );
    await flush();
    expect(lines[0]).toMatchObject({ err: { type: 'Error', message: 'store unavailable' } });
    expect(lines[0]?.req).toEqual({
      headers: { authorization: '[redacted]', cookie: '[redacted]', accept: '*/*' },
    });
  });
});

describe('error serializer', () => {
  it('bounds what an error carries: message, stack message line, properties, byte arrays', async () => {
    const { lines, logger } = capture();
    const hostile = `marker\u0000\n${'x'.repeat(9000)}`;
    const err = Object.assign(new Error(`'${hostile}' is not a valid url component`), {
      rawPacket: Buffer.alloc(20_000),
      url: hostile,
      nested: { deeper: { deepest: { value: hostile } } },
    });
    logger.error({ err }, 'request failed');
    await flush();
    const line = JSON.stringify(lines[0]);
    expect(line.length).toBeLessThan(8000);
    expect(line).not.toContain('\\u0000');
    const logged = lines[0]?.err as Record<string, unknown>;
    expect(logged.type).toBe('Error');
    expect(String(logged.message).length).toBeLessThanOrEqual(513);
    expect(logged.rawPacket).toBe('[20000 bytes]');
    expect(String(logged.stack)).toMatch(/^Error: 'marker x+…\n {4}at /);
    expect(logged.nested).toEqual({ deeper: { deepest: '[object]' } });
  });
});

describe('createLogger writing to stdout', () => {
  it('lets the process exit at once when stdout is closed (no retry loop on EPIPE)', async () => {
    const service = startServiceProcess({
      cwd: path.resolve(__dirname, '..'),
      script: 'test/fixtures/closed-stdout.ts',
      preload: [],
      env: {},
    });
    onTestFinished(() => service.stop());
    await service.waitForLog((line) => line.msg === 'listening');
    service.child.stdout?.destroy();
    service.child.kill('SIGTERM');
    // Before the fix the exit-time flush retried the EPIPE write every 100 ms for ever (a blocked
    // thread, so no later signal was handled either).
    const exit = await Promise.race([
      service.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 5_000)),
    ]);
    expect(exit).toBe(0);
  });
});
