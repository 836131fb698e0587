import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listeningPort, startServiceProcess } from '../src/index';

const PACKAGE_ROOT = path.resolve(__dirname, '..');

function start(env: Record<string, string>, waitTimeoutMs?: number, script = 'test/fixtures/announce.js') {
  const service = startServiceProcess({
    cwd: PACKAGE_ROOT,
    script,
    preload: [],
    env,
    waitTimeoutMs,
  });
  onTestFinished(() => service.stop());
  return service;
}

describe('startServiceProcess', () => {
  it('runs a .ts script from source through tsx with the pr-canary-source condition', async () => {
    const service = startServiceProcess({
      cwd: PACKAGE_ROOT,
      script: 'test/fixtures/typed.ts',
      preload: [],
      env: {},
    });
    onTestFinished(() => service.stop());
    expect(await service.exited).toBe(0);
    expect(service.logs).toEqual([{ msg: 'typed', sourceCondition: true }]);
  });

  it('runs a compiled (JavaScript) script with only the given environment, and reads its JSON lines', async () => {
    const service = start({ CANARY_TRACK: 'pr-9' });
    expect(await listeningPort(service)).toBe(4321);
    expect(service.logs).toEqual([{ msg: 'listening', port: 4321, track: 'pr-9' }]);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.logs.at(-1)).toEqual({ msg: 'stopped' });
  });

  it('answers a wait for a line already logged at once, and reports the exit code', async () => {
    const service = start({ EXIT_AT_ONCE: '1', EXIT_CODE: '3' });
    expect(await service.exited).toBe(3);
    expect(await service.waitForLog((line) => line.msg === 'listening')).toMatchObject({ port: 4321 });
  });

  it('fails a wait when the process exits first, naming the script', async () => {
    const service = start({ EXIT_AT_ONCE: '1' });
    await expect(service.waitForLog((line) => line.msg === 'never')).rejects.toThrow(
      /announce\.js exited \(exit code 0\) before it reported the expected log line/,
    );
  });

  it('fails a wait that times out, and stop() kills the process', async () => {
    const service = start({}, 300);
    await expect(service.waitForLog((line) => line.msg === 'never')).rejects.toThrow(
      /announce\.js did not report the expected log line within 300 ms/,
    );
    await service.stop();
    expect(service.child.signalCode).toBe('SIGKILL');
  });
});

describe('startServiceProcess stderr', () => {
  it('keeps what the process wrote to stderr, for failure messages', async () => {
    const service = start({ EXIT_AT_ONCE: '1', SAY_ON_STDERR: 'bad config: PORT' });
    await service.exited;
    expect(service.stderr()).toBe('bad config: PORT');
  });
});
