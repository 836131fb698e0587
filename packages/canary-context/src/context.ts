import { AsyncLocalStorage } from 'node:async_hooks';
import { ABSENT_KEY, type CanaryKey } from '@pr-canary/contracts/canary-key';
import type { ServedByEntry } from '@pr-canary/contracts/served-by';

/** What one request carries through every await, timer and callback it causes. */
export interface CanaryScope {
  key: CanaryKey;
  /** Served-by entries collected from downstream responses, in call order. */
  downstream: ServedByEntry[];
}

/**
 * One storage per process, even when this module is loaded twice (e.g. `--require .../register` from
 * dist and the app from source): the span processor and the request code must see the same scope.
 */
const STORAGE_SYMBOL = Symbol.for('@pr-canary/canary-context/scope-storage');
const globalSlot = globalThis as { [STORAGE_SYMBOL]?: AsyncLocalStorage<CanaryScope> };
globalSlot[STORAGE_SYMBOL] ??= new AsyncLocalStorage<CanaryScope>();
const storage = globalSlot[STORAGE_SYMBOL];

/** A fresh scope for one request. */
export function createScope(key: CanaryKey): CanaryScope {
  return { key, downstream: [] };
}

/** Runs `fn` in a new scope for `key`; everything `fn` starts (sync or async) sees that scope. */
export function runWithCanary<T>(key: CanaryKey, fn: () => T): T {
  return storage.run(createScope(key), fn);
}

/** Runs `fn` inside an existing scope (to re-enter a request's scope from a callback). */
export function runInScope<T>(scope: CanaryScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentScope(): CanaryScope | undefined {
  return storage.getStore();
}

/** The key of the current scope; `{kind: 'absent'}` outside a scope. */
export function currentCanaryKey(): CanaryKey {
  return storage.getStore()?.key ?? ABSENT_KEY;
}
