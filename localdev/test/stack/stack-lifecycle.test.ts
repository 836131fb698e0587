import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type Stack, StackError, type StackOptions, startStack } from '../../src/stack/stack';

/**
 * Stable-only stacks (dynalite, store, api, router) for what happens around the routing: data kept on
 * disk across a restart, a vital part that dies, a part that exits before it listens.
 */

const START_TIMEOUT_MS = 120_000;

async function startStableStack(options: StackOptions = {}): Promise<Stack> {
  const stack = await startStack({ canaries: [], readyTimeoutMs: 90_000, ...options });
  onTestFinished(() => stack.stop());
  return stack;
}

function tempDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'localdev-lifecycle-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('local stack lifecycle', () => {
  it(
    'keeps items on disk across a restart, and stops everything when stable store dies, with its last lines',
    async () => {
      const dataDir = tempDataDir();
      const first = await startStableStack({ dataDir });
      const created = await fetch(`${first.urls.api}/api/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'kept across restarts', priceCents: 1 }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      await first.stop();

      const output: string[] = [];
      const second = await startStableStack({ dataDir, log: (line) => output.push(line) });
      expect((await fetch(`${second.urls.api}/api/items/${id}`)).status).toBe(200);

      const store = second.instances().find((i) => i.service === 'store-service');
      process.kill(store?.pid ?? Number.NaN, 'SIGKILL');
      const failure = await second.failed;
      expect(failure.message).toMatch(
        /^store stable stopped unexpectedly \(signal SIGKILL\); its last lines:/,
      );
      expect(output.join('\n')).toContain('stopping the stack');
      expect(second.instances().every((instance) => !instance.running)).toBe(true);
      await expect(fetch(`${second.urls.api}/api/route`)).rejects.toThrow();
    },
    START_TIMEOUT_MS * 2,
  );

  it(
    'fails the start with the exit code and the last lines of a service that exits before listening',
    async () => {
      const output: string[] = [];
      const failure = await startStableStack({
        env: { LOG_LEVEL: 'loud' },
        log: (line) => output.push(line),
      }).then(
        () => new Error('the stack started with an invalid LOG_LEVEL'),
        (error: unknown) => error,
      );

      expect(failure).toBeInstanceOf(StackError);
      const message = (failure as Error).message;
      expect(message).toMatch(
        /^(store|api) stable exited \(exit code 1\) before it reported a listening port/,
      );
      expect(message).toMatch(/its last lines:\n {2}\| .*invalid configuration: LOG_LEVEL/);
      expect(output.join('\n')).toContain('invalid configuration: LOG_LEVEL');
    },
    START_TIMEOUT_MS,
  );
});
