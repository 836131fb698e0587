import { describe, expect, it } from 'vitest';
import { StackError, startStack } from '../../src/stack/stack';

/**
 * A part that exits before it listens must fail the start with its own last lines (not a timeout, not
 * a bare exit code), and leave nothing running.
 */

describe('a stack whose service exits before listening', () => {
  it('rejects with the exit code and the last lines of the child that died', async () => {
    const output: string[] = [];
    const failure = await startStack({
      canaries: [],
      env: { LOG_LEVEL: 'loud' },
      log: (line) => output.push(line),
      readyTimeoutMs: 90_000,
    }).then(
      () => new Error('the stack started with an invalid LOG_LEVEL'),
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(StackError);
    const message = (failure as Error).message;
    expect(message).toMatch(/^(store|api) stable exited \(exit code 1\) before it reported a listening port/);
    expect(message).toMatch(/its last lines:\n {2}\| .*invalid configuration: LOG_LEVEL/);
    expect(output.join('\n')).toContain('invalid configuration: LOG_LEVEL');
  }, 120_000);
});
