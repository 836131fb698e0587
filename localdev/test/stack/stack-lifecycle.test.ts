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
    'keeps items on disk across a restart, and restarts a SIGKILLed stable store and dynalite so requests succeed again',
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

      const store = () => second.instances().find((i) => i.service === 'store-service');
      const killed = store()?.pid;
      process.kill(killed ?? Number.NaN, 'SIGKILL');
      await expect.poll(() => store()?.state).not.toBe('running');
      const whileDown = await fetch(`${second.urls.api}/api/items/${id}`);
      if (store()?.state !== 'running') {
        // Never another track: the stable hop says it is restarting.
        expect(whileDown.status).toBe(503);
        expect(((await whileDown.json()) as { message: string }).message).toMatch(
          /^stable store-service is not running \(restarting/,
        );
      }
      await expect.poll(store, { timeout: 20_000 }).toMatchObject({ state: 'running', restarts: 1 });
      expect(store()?.pid).not.toBe(killed);
      expect((await fetch(`${second.urls.api}/api/items/${id}`)).status).toBe(200);
      expect(output.join('\n')).toMatch(
        /store stable died \(signal SIGKILL\); restarting in 250 ms \(restart 1\)/,
      );

      const dynamodb = () => second.parts().find((part) => part.name === 'dynamodb');
      process.kill(dynamodb()?.pid ?? Number.NaN, 'SIGKILL');
      await expect.poll(dynamodb, { timeout: 20_000 }).toMatchObject({ running: true, restarts: 1 });
      await expect
        .poll(async () => (await fetch(`${second.urls.api}/api/items/${id}`)).status, { timeout: 20_000 })
        .toBe(200);
      expect(output.join('\n')).toContain('dynamodb is back up (restart 1)');
    },
    START_TIMEOUT_MS * 2,
  );

  it(
    'becomes ready with LOG_LEVEL=warn (readiness does not read log lines)',
    async () => {
      const output: string[] = [];
      const stack = await startStableStack({ env: { LOG_LEVEL: 'warn' }, log: (line) => output.push(line) });
      expect((await fetch(`${stack.urls.api}/api/route`)).status).toBe(200);
      expect(output.join('\n')).not.toMatch(/(api|store) stable +│ INFO: listening/);
    },
    START_TIMEOUT_MS,
  );

  it(
    'gives up on a stable part that keeps crashing and stops the whole stack, with its last lines',
    async () => {
      const output: string[] = [];
      const stack = await startStableStack({
        log: (line) => output.push(line),
        restartPolicy: {
          initialDelayMs: 10,
          maxDelayMs: 10,
          healthyAfterMs: 60_000,
          maxConsecutiveCrashes: 1,
        },
      });
      const store = () => stack.instances().find((i) => i.service === 'store-service');
      process.kill(store()?.pid ?? Number.NaN, 'SIGKILL');
      await expect.poll(() => store()?.restarts, { timeout: 20_000 }).toBe(1);
      await expect.poll(() => store()?.state, { timeout: 20_000 }).toBe('running');
      process.kill(store()?.pid ?? Number.NaN, 'SIGKILL');
      const failure = await stack.failed;
      expect(failure.message).toMatch(
        /^store stable died \(signal SIGKILL\); giving up after 1 restarts in a row; its last lines:/,
      );
      expect(output.join('\n')).toContain('stopping the stack');
      expect(stack.instances().every((instance) => !instance.running)).toBe(true);
      await expect(fetch(`${stack.urls.api}/api/route`)).rejects.toThrow();
    },
    START_TIMEOUT_MS,
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
