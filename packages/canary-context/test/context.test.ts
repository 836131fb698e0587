import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CanaryKey, parseCanaryKey } from '@pr-canary/contracts/canary-key';
import { describe, expect, it } from 'vitest';
import { createScope, currentCanaryKey, currentScope, runInScope, runWithCanary } from '../src/context';
import { randomPr } from './helper';

/** Reads the key after hopping across the async boundaries a request handler typically crosses. */
async function keyAfterAsyncHops(emitter: EventEmitter): Promise<CanaryKey[]> {
  const seen: CanaryKey[] = [];
  await sleep(Math.floor(Math.random() * 5));
  seen.push(currentCanaryKey());
  await new Promise<void>((resolve) => setImmediate(resolve));
  seen.push(currentCanaryKey());
  const inner = await Promise.all([
    sleep(1).then(() => currentCanaryKey()),
    Promise.resolve().then(() => currentCanaryKey()),
  ]);
  seen.push(...inner);
  const event = once(emitter, 'tick');
  setTimeout(() => emitter.emit('tick', currentCanaryKey()), Math.floor(Math.random() * 3));
  const [fromEmitter] = (await event) as [CanaryKey];
  seen.push(fromEmitter, currentCanaryKey());
  return seen;
}

describe('async context', () => {
  it('is absent outside any scope', () => {
    expect(currentScope()).toBeUndefined();
    expect(currentCanaryKey()).toEqual({ kind: 'absent' });
  });

  it('keeps 300 concurrent scopes apart across timers, Promise.all and EventEmitters', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const key = parseCanaryKey(randomPr());
        const emitter = new EventEmitter();
        const seen = await runWithCanary(key, () => keyAfterAsyncHops(emitter));
        return { key, seen };
      }),
    );
    for (const { key, seen } of results) {
      expect(seen).toHaveLength(6);
      for (const observed of seen) expect(observed).toEqual(key);
    }
    expect(currentScope()).toBeUndefined();
  });

  it('gives each run a fresh downstream list', () => {
    const key = parseCanaryKey('42');
    const first = runWithCanary(key, () => currentScope());
    const second = runWithCanary(key, () => currentScope());
    first?.downstream.push({ service: 's', track: 'stable', version: '1' });
    expect(second?.downstream).toEqual([]);
  });

  it('re-enters an existing scope with runInScope', () => {
    const scope = createScope(parseCanaryKey('7'));
    const observed = runInScope(scope, () => currentScope());
    expect(observed).toBe(scope);
  });

  it('nests scopes and restores the outer one', () => {
    runWithCanary(parseCanaryKey('1'), () => {
      runWithCanary(parseCanaryKey('2'), () =>
        expect(currentCanaryKey()).toEqual({ kind: 'valid', pr: '2' }),
      );
      expect(currentCanaryKey()).toEqual({ kind: 'valid', pr: '1' });
    });
  });
});
