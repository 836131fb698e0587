import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as readline from 'node:readline';
import { pathToFileURL } from 'node:url';

/**
 * A node child process that cannot outlive the process that started it, and that can be waited on.
 *
 * It is started with an IPC channel and the `parent-watch` preload of this package (loaded before
 * anything else): when the parent dies in any way — SIGKILL included, where no cleanup code of ours
 * runs — the operating system closes the channel and the child shuts itself down. It runs in its own
 * process group, so that stopping it also stops whatever it started (and a terminal's Ctrl-C reaches
 * only the parent, which then stops its children in order); a parent that exits without stopping its
 * children kills their groups on the way out. Every output line (stdout and stderr) and every IPC
 * message is an event that {@link WatchedChild.waitFor} can wait on. The local stack (localdev) and the
 * test suites (test-support) both start their processes this way.
 */

const PARENT_WATCH = pathToFileURL(
  createRequire(__filename).resolve('@pr-canary/local-kit/parent-watch'),
).href;

export type OutputStream = 'stdout' | 'stderr';

/** Something a child said: an output line (as the spec's `parseLine` made it) or an IPC message. */
export type ChildEvent<L> = { kind: 'line'; line: L } | { kind: 'message'; message: unknown };

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WatchedChildSpec<L> {
  /** Names the child in error messages (`store pr-42`, a script path, …). */
  name: string;
  /** Arguments for node after the parent-watch preload: flags, the script and its arguments. */
  args: readonly string[];
  cwd: string;
  /** The child's whole environment (this process's is not passed on). */
  env: Record<string, string>;
  /** Turns one raw output line into the line every listener and waiter sees. */
  parseLine(raw: string, stream: OutputStream): L;
  /** Receives every output line, in order, before any waiter. */
  onLine?(line: L, child: WatchedChild<L>): void;
}

const liveChildren = new Set<{ kill(signal: NodeJS.Signals): void }>();
let exitHookInstalled = false;

/** Last resort: if this process exits without stopping its children, kill their process groups. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

export class WatchedChild<L = string> {
  readonly name: string;
  /** The spawned process (for its pid, exit code and signal, or a signal to it alone). */
  readonly process: ChildProcess;
  /** Resolves once the child has exited and its output is fully read (no last line is missed). */
  readonly exited: Promise<ChildExit>;
  readonly #waiters = new Set<(event: ChildEvent<L>) => void>();
  #exit: ChildExit | undefined;
  #forceKilled = false;

  constructor(spec: WatchedChildSpec<L>) {
    installExitHook();
    this.name = spec.name;
    this.process = spawn(process.execPath, ['--import', PARENT_WATCH, ...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    // The channel is there to close when this process dies; it must not keep this process alive.
    this.process.channel?.unref();
    this.process.on('message', (message) => this.#emit({ kind: 'message', message }));
    liveChildren.add(this);
    this.exited = new Promise((resolve) => {
      const settle = (exit: ChildExit): void => {
        if (this.#exit) return;
        this.#exit = exit;
        liveChildren.delete(this);
        resolve(exit);
      };
      // 'close' (not 'exit'): stdout and stderr are fully read by then.
      this.process.once('close', (code, signal) => settle({ code, signal }));
      this.process.once('error', () => {
        if (this.process.pid === undefined) settle({ code: null, signal: null });
      });
    });
    for (const [stream, name] of [
      [this.process.stdout, 'stdout'],
      [this.process.stderr, 'stderr'],
    ] as const) {
      if (!stream) continue;
      readline.createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (raw) => {
        const line = spec.parseLine(raw, name);
        spec.onLine?.(line, this);
        this.#emit({ kind: 'line', line });
      });
    }
  }

  /** The child's process id (undefined when it could not be spawned). */
  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Whether `stop` had to SIGKILL it: it had not exited within the grace after SIGTERM. */
  get forceKilled(): boolean {
    return this.#forceKilled;
  }

  /**
   * Resolves with the first output line or IPC message, from now on, for which `pick` returns a value;
   * rejects when the child exits first or `timeoutMs` passes (naming the child and `what`).
   */
  waitFor<T>(pick: (event: ChildEvent<L>) => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const done = (): void => {
        settled = true;
        this.#waiters.delete(onEvent);
        clearTimeout(timer);
      };
      const onEvent = (event: ChildEvent<L>): void => {
        const value = pick(event);
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} did not report ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(onEvent);
      void this.exited.then((exit) => {
        if (settled) return;
        done();
        reject(new Error(`${this.name} exited (${describeExit(exit)}) before it reported ${what}`));
      });
    });
  }

  /**
   * SIGTERM the process group, then SIGKILL it if it has not exited after `graceMs` (at once with
   * `graceMs` 0). Resolves once it has exited. SIGCONT follows the SIGTERM, as systemd does: a
   * stopped child (`kill -STOP`, a job suspended in a terminal) would otherwise hold its SIGTERM
   * pending for the whole grace and be SIGKILLed without running its shutdown.
   */
  async stop(graceMs: number): Promise<ChildExit> {
    if (this.#exit) return this.#exit;
    if (graceMs <= 0) {
      this.kill('SIGKILL');
      return this.exited;
    }
    this.kill('SIGTERM');
    this.kill('SIGCONT');
    const timer = setTimeout(() => {
      if (this.#exit) return;
      this.#forceKilled = true;
      this.kill('SIGKILL');
    }, graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** Sends `signal` to the child's whole process group (nothing once it has exited). */
  kill(signal: NodeJS.Signals): void {
    const pid = this.process.pid;
    if (pid === undefined || this.#exit) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  #emit(event: ChildEvent<L>): void {
    for (const waiter of this.#waiters) waiter(event);
  }
}

/** `exit code 3`, `signal SIGKILL`, or `could not start`. */
export function describeExit(exit: ChildExit): string {
  if (exit.signal) return `signal ${exit.signal}`;
  return exit.code === null ? 'could not start' : `exit code ${exit.code}`;
}
