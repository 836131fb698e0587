import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { nodeServices } from '@pr-canary/contracts/services';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type Stack, StackError, type StackOptions, startStack } from '../../src/stack/stack';

/**
 * Stable-only stacks (dynalite, store, api, router) for what happens around the routing: data kept on
 * disk across a restart, a vital part that dies, a part that exits before it listens.
 */

/** The stack's own bound on a part becoming ready, inside the shared 20 s test timeout (its error names the part). */
const READY_TIMEOUT_MS = 15_000;

async function startStableStack(options: StackOptions = {}): Promise<Stack> {
  const stack = await startStack({ canaries: [], readyTimeoutMs: READY_TIMEOUT_MS, ...options });
  onTestFinished(() => stack.stop());
  return stack;
}

// One stack kept on disk, then restarted on the same data and SIGKILLed part by part: steps of their
// own (each one stack start or one restart), in order, sharing the data folder and the second stack.
describe('local stack lifecycle: data on disk, and a SIGKILLed stable part restarted', () => {
  let dataDir: string;
  let id: string;
  let second: Stack | undefined;
  const output: string[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'localdev-lifecycle-'));
  });
  afterAll(async () => {
    await second?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const running = (): Stack => {
    if (!second) throw new Error('the restarted stack did not start (see the step before)');
    return second;
  };
  const store = () =>
    running()
      .instances()
      .find((i) => i.service === 'store-service');
  const itemStatus = async () => (await fetch(`${running().urls.api}/api/items/${id}`)).status;

  it('writes an item with a stack on a data folder, and stops', async () => {
    const first = await startStableStack({ dataDir });
    const created = await fetch(`${first.urls.api}/api/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept across restarts', priceCents: 1 }),
    });
    expect(created.status).toBe(201);
    ({ id } = (await created.json()) as { id: string });
    await first.stop();
  });

  it('a new stack on the same folder still has it', async () => {
    second = await startStack({
      canaries: [],
      readyTimeoutMs: READY_TIMEOUT_MS,
      dataDir,
      log: (line) => output.push(line),
    });
    expect(await itemStatus()).toBe(200);
  });

  it('restarts a SIGKILLed stable store, answering 503 (never another track) meanwhile', async () => {
    const killed = store()?.pid;
    process.kill(killed ?? Number.NaN, 'SIGKILL');
    await expect.poll(() => store()?.state).not.toBe('running');
    const whileDown = await fetch(`${running().urls.api}/api/items/${id}`);
    if (store()?.state !== 'running') {
      // Never another track: the stable hop says it is restarting.
      expect(whileDown.status).toBe(503);
      expect(((await whileDown.json()) as { message: string }).message).toMatch(
        /^stable store-service is not running \(restarting/,
      );
    }
    await expect.poll(store, { timeout: 15_000 }).toMatchObject({ state: 'running', restarts: 1 });
    expect(store()?.pid).not.toBe(killed);
    expect(await itemStatus()).toBe(200);
    expect(output.join('\n')).toMatch(
      /store stable died \(signal SIGKILL\); restarting in 250 ms \(restart 1\)/,
    );
  });

  it('restarts a SIGKILLed dynalite, and requests succeed again', async () => {
    const dynamodb = () =>
      running()
        .parts()
        .find((part) => part.name === 'dynamodb');
    process.kill(dynamodb()?.pid ?? Number.NaN, 'SIGKILL');
    await expect.poll(dynamodb, { timeout: 15_000 }).toMatchObject({ running: true, restarts: 1 });
    await expect.poll(itemStatus, { timeout: 15_000 }).toBe(200);
    expect(output.join('\n')).toContain('dynamodb is back up (restart 1)');
  });
});

describe('local stack lifecycle', () => {
  it('becomes ready with LOG_LEVEL=warn (readiness does not read log lines)', async () => {
    const output: string[] = [];
    const stack = await startStableStack({ env: { LOG_LEVEL: 'warn' }, log: (line) => output.push(line) });
    expect((await fetch(`${stack.urls.api}/api/route`)).status).toBe(200);
    expect(output.join('\n')).not.toMatch(/(api|store) stable +│ INFO: listening/);
  });

  it('gives up on a stable part that keeps crashing and stops the whole stack, with its last lines', async () => {
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
    await expect.poll(() => store()?.restarts, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => store()?.state, { timeout: 15_000 }).toBe('running');
    process.kill(store()?.pid ?? Number.NaN, 'SIGKILL');
    const failure = await stack.failed;
    expect(failure.message).toMatch(
      /^store stable died \(signal SIGKILL\); giving up after 1 restarts in a row; its last lines:/,
    );
    expect(output.join('\n')).toContain('stopping the stack');
    expect(stack.instances().every((instance) => !instance.running)).toBe(true);
    await expect(fetch(`${stack.urls.api}/api/route`)).rejects.toThrow();
  });

  it('fails the start with the exit code and the last lines of a service that exits before listening', async () => {
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
    // Whichever Node service of the registry (api, store or one added since) exits first.
    const shorts = nodeServices().map((service) => service.short);
    expect(message).toMatch(
      new RegExp(
        `^(${shorts.join('|')}) stable exited \\(exit code 1\\) before it reported a listening port`,
      ),
    );
    expect(message).toMatch(/its last lines:\n {2}\| .*invalid configuration: LOG_LEVEL/);
    expect(output.join('\n')).toContain('invalid configuration: LOG_LEVEL');
  });
});
