import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { installShutdown, type ShutdownOptions } from '../src/shutdown';

function harness(overrides: Partial<ShutdownOptions> = {}) {
  const steps: string[] = [];
  const signals = new EventEmitter();
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });
  const logger = {
    info: () => {},
    warn: () => {},
    error: (obj: unknown) => steps.push(`log-error:${(obj as { err: Error }).err.message}`),
  };
  const uninstall = installShutdown({
    logger,
    drainMs: 5,
    markNotReady: () => steps.push('not-ready'),
    close: async () => {
      steps.push('close');
    },
    flush: async () => {
      steps.push('flush');
    },
    exit: (code) => {
      steps.push(`exit:${code}`);
      resolveExit(code);
    },
    signals: signals as unknown as NodeJS.Process,
    ...overrides,
  });
  return { steps, signals, exited, uninstall };
}

describe('installShutdown', () => {
  it('marks not-ready, drains, closes, flushes, then exits 0 on SIGTERM', async () => {
    const { steps, signals, exited } = harness({
      close: async () => {
        steps.push('close');
      },
    });
    signals.emit('SIGTERM', 'SIGTERM');
    expect(steps).toEqual(['not-ready']);
    expect(await exited).toBe(0);
    expect(steps).toEqual(['not-ready', 'close', 'flush', 'exit:0']);
  });

  it('exits at once with 1 on a second signal', async () => {
    const { steps, signals } = harness({ close: () => new Promise(() => {}) });
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGINT', 'SIGINT');
    expect(steps).toEqual(['not-ready', 'exit:1']);
  });

  it('still flushes and exits 1 when closing fails', async () => {
    const { steps, signals, exited } = harness({
      close: async () => {
        throw new Error('close failed');
      },
    });
    signals.emit('SIGINT', 'SIGINT');
    expect(await exited).toBe(1);
    expect(steps).toEqual(['not-ready', 'log-error:close failed', 'flush', 'exit:1']);
  });

  it('removes its handlers when uninstalled', () => {
    const { signals, uninstall } = harness();
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    uninstall();
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
  });
});
