import { type ChildExit, describeExit, type ManagedChild } from './managed-child';

/**
 * Keeps one part of the stack running, as a process manager would: a part that exits without being
 * asked to (crash, SIGKILL, even a clean exit after an outside SIGTERM) is restarted after a backoff
 * that doubles per consecutive crash up to {@link RestartPolicy.maxDelayMs}; the count of consecutive
 * crashes starts over once the part has stayed up for {@link RestartPolicy.healthyAfterMs}. After
 * {@link RestartPolicy.maxConsecutiveCrashes} crashes in a row it gives up (a crash loop is reported,
 * not hidden behind endless restarts).
 */

export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  healthyAfterMs: number;
  maxConsecutiveCrashes: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 250,
  maxDelayMs: 8_000,
  healthyAfterMs: 10_000,
  maxConsecutiveCrashes: 5,
};

export interface SupervisedSpec<T> {
  /** `store pr-42`, `dynamodb`, … */
  name: string;
  /** Spawns the process (a new one on every start). */
  spawn(): ManagedChild;
  /** Resolves once the child is ready, with what the stack needs to know (e.g. its port). */
  ready(child: ManagedChild): Promise<T>;
  /** The child is ready (first start or a restart). */
  onUp(info: T, restarts: number): void;
  /** The child went down and will be restarted, or was given up on / stopped. */
  onDown(state: 'restarting' | 'stopped', restarts: number): void;
  /** One line for the stack's output. */
  say(text: string): void;
  /** Called once when the supervisor gives up after a crash loop. */
  onGiveUp(error: Error): void;
  policy?: RestartPolicy;
}

export class Supervisor<T> {
  readonly #spec: SupervisedSpec<T>;
  readonly #policy: RestartPolicy;
  #child: ManagedChild | undefined;
  #restarts = 0;
  #consecutiveCrashes = 0;
  #upSince: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(spec: SupervisedSpec<T>) {
    this.#spec = spec;
    this.#policy = spec.policy ?? DEFAULT_RESTART_POLICY;
  }

  get child(): ManagedChild | undefined {
    return this.#child;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** First start: rejects (without restarting) when the part does not come up. */
  async start(): Promise<T> {
    const child = this.#spec.spawn();
    this.#child = child;
    const info = await this.#spec.ready(child);
    this.#up(child, info);
    return info;
  }

  /** Stops the part for good (stack stop, or a canary stopped on request). */
  async stop(graceMs: number): Promise<ChildExit | undefined> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    return child ? child.stop(graceMs) : undefined;
  }

  #up(child: ManagedChild, info: T): void {
    this.#upSince = Date.now();
    this.#spec.onUp(info, this.#restarts);
    void child.exited.then((exit) => this.#exited(child, exit));
  }

  #exited(child: ManagedChild, exit: ChildExit): void {
    if (this.#stopped || child !== this.#child) return;
    const stayedUp = this.#upSince !== undefined ? Date.now() - this.#upSince : 0;
    this.#upSince = undefined;
    if (stayedUp >= this.#policy.healthyAfterMs) this.#consecutiveCrashes = 0;
    this.#crashed(child, `${this.#spec.name} died (${describeExit(exit)})`);
  }

  #crashed(child: ManagedChild, what: string): void {
    this.#consecutiveCrashes++;
    const lastLines = formatLastLines(child);
    if (this.#consecutiveCrashes > this.#policy.maxConsecutiveCrashes) {
      const error = new Error(
        `${what}; giving up after ${this.#policy.maxConsecutiveCrashes} restarts in a row${lastLines}`,
      );
      this.#stopped = true;
      this.#spec.onDown('stopped', this.#restarts);
      this.#spec.say(error.message);
      this.#spec.onGiveUp(error);
      return;
    }
    const delay = Math.min(
      this.#policy.initialDelayMs * 2 ** (this.#consecutiveCrashes - 1),
      this.#policy.maxDelayMs,
    );
    this.#spec.onDown('restarting', this.#restarts);
    this.#spec.say(
      `${what}; restarting in ${formatDelay(delay)} (restart ${this.#restarts + 1})${lastLines}`,
    );
    this.#timer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    if (this.#stopped) return;
    this.#restarts++;
    const child = this.#spec.spawn();
    this.#child = child;
    let info: T;
    try {
      info = await this.#spec.ready(child);
    } catch (error) {
      if (this.#stopped) return;
      // Not ready in time: make sure it is gone, then count it as the next crash.
      await child.stop(2_000);
      if (this.#stopped) return;
      this.#crashed(child, `${this.#spec.name} failed to restart (${(error as Error).message})`);
      return;
    }
    if (this.#stopped) return;
    this.#spec.say(`${this.#spec.name} is back up (restart ${this.#restarts})`);
    this.#up(child, info);
  }
}

function formatDelay(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(ms % 1_000 === 0 ? 0 : 1)} s`;
}

export function formatLastLines(child: ManagedChild): string {
  const lines = child.lastLines();
  if (lines.length === 0) return '';
  return `; its last lines:\n${lines.map((line) => `  | ${line}`).join('\n')}`;
}
