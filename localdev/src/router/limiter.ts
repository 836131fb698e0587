/**
 * Admission control for one backend of the dev router: at most `maxActive` requests in flight, at
 * most `maxQueued` waiting for a slot, and none waiting longer than `queueTimeoutMs`. Anything over
 * is turned away at once, so an overloaded stack answers "over capacity" in microseconds instead of
 * letting requests pile up in an unbounded queue for seconds.
 */

export interface LimiterOptions {
  maxActive: number;
  maxQueued: number;
  queueTimeoutMs: number;
}

export type Rejection = 'over capacity' | 'queue timeout';

interface Waiter {
  start: (release: () => void) => void;
  reject: (why: Rejection) => void;
  timer: NodeJS.Timeout;
}

export class Limiter {
  readonly #options: LimiterOptions;
  readonly #queue: Waiter[] = [];
  #active = 0;

  constructor(options: LimiterOptions) {
    this.#options = options;
  }

  /**
   * Calls `start(release)` once a slot is free (at once when one is), or `reject(why)` when the
   * queue is full or the wait ran out. Returns a function that gives up a place in the queue (the
   * client went away); after `start`, the caller must call `release` exactly once.
   */
  enter(start: (release: () => void) => void, reject: (why: Rejection) => void): () => void {
    if (this.#active < this.#options.maxActive) {
      this.#active++;
      start(this.#releaser());
      return noop;
    }
    if (this.#queue.length >= this.#options.maxQueued) {
      reject('over capacity');
      return noop;
    }
    const waiter: Waiter = {
      start,
      reject,
      timer: setTimeout(() => {
        if (this.#remove(waiter)) reject('queue timeout');
      }, this.#options.queueTimeoutMs),
    };
    this.#queue.push(waiter);
    return () => {
      if (this.#remove(waiter)) clearTimeout(waiter.timer);
    };
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (!next) {
        this.#active--;
        return;
      }
      clearTimeout(next.timer);
      next.start(this.#releaser());
    };
  }

  #remove(waiter: Waiter): boolean {
    const index = this.#queue.indexOf(waiter);
    if (index === -1) return false;
    this.#queue.splice(index, 1);
    return true;
  }
}

/** One limiter per backend address, so a slow canary cannot starve stable. */
export class BackendLimiters {
  readonly #limiters = new Map<string, Limiter>();

  constructor(private readonly options: LimiterOptions) {}

  for(address: { host: string; port: number }): Limiter {
    const key = `${address.host}:${address.port}`;
    let limiter = this.#limiters.get(key);
    if (!limiter) {
      limiter = new Limiter(this.options);
      this.#limiters.set(key, limiter);
    }
    return limiter;
  }
}

function noop(): void {}
