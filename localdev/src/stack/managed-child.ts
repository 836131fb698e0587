import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { type ParsedLine, parseLine } from './log-format';

/**
 * One child process of the stack: its output is prefixed line by line, its last lines are kept for the
 * report when it dies, and it runs in its own process group so that stopping it also stops whatever it
 * started (and a terminal's Ctrl-C reaches only the runner, which then stops children in order).
 *
 * Every child is a node process started with an IPC channel and the `parent-watch` preload of
 * `@pr-canary/canary-context`: when the runner dies in any way — SIGKILL included, where no cleanup
 * code of ours runs — the operating system closes the channel and the child shuts itself down. The
 * channel also carries the child's `listening` announcement, so readiness never depends on LOG_LEVEL.
 */

const PARENT_WATCH = pathToFileURL(
  createRequire(__filename).resolve('@pr-canary/canary-context/parent-watch'),
).href;

/** Something a child said: an output line or an IPC message. */
export type ChildEvent = { kind: 'line'; line: ParsedLine } | { kind: 'message'; message: unknown };

const KEPT_LINES = 25;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildSpec {
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Receives every output line, already cleaned and formatted. */
  onLine(child: ManagedChild, line: ParsedLine): void;
}

const liveChildren = new Set<ManagedChild>();
let exitHookInstalled = false;

/** Last resort: if the runner exits without stopping its children, kill their process groups. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.killGroup('SIGKILL');
  });
}

export class ManagedChild {
  readonly name: string;
  readonly exited: Promise<ChildExit>;
  readonly #process: ChildProcess;
  readonly #lastLines: string[] = [];
  readonly #waiters = new Set<(event: ChildEvent) => void>();
  #exit: ChildExit | undefined;

  constructor(spec: ChildSpec) {
    installExitHook();
    this.name = spec.name;
    this.#process = spawn(spec.command, ['--import', PARENT_WATCH, ...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    // The channel must not keep the runner alive; messages still arrive while it runs.
    this.#process.channel?.unref();
    this.#process.on('message', (message) => this.#emit({ kind: 'message', message }));
    liveChildren.add(this);
    this.exited = new Promise((resolve) => {
      this.#process.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        liveChildren.delete(this);
        resolve(this.#exit);
      });
      this.#process.once('error', () => {
        this.#exit = { code: null, signal: null };
        liveChildren.delete(this);
        resolve(this.#exit);
      });
    });
    for (const stream of [this.#process.stdout, this.#process.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (raw) => {
        const line = parseLine(raw);
        this.#remember(line.text);
        spec.onLine(this, line);
        this.#emit({ kind: 'line', line });
      });
    }
  }

  /** The child's process id (undefined when it could not be spawned). */
  get pid(): number | undefined {
    return this.#process.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  lastLines(): readonly string[] {
    return [...this.#lastLines];
  }

  /**
   * Resolves with the first output line or IPC message for which `pick` returns a value; rejects when
   * the child exits first or `timeoutMs` passes.
   */
  waitFor<T>(pick: (event: ChildEvent) => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        this.#waiters.delete(onEvent);
        clearTimeout(timer);
      };
      const onEvent = (event: ChildEvent): void => {
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
        done();
        reject(new Error(`${this.name} exited (${describeExit(exit)}) before it reported ${what}`));
      });
    });
  }

  /** SIGTERM the process group, then SIGKILL it if it has not exited after `graceMs`. */
  async stop(graceMs: number): Promise<ChildExit> {
    if (this.#exit) return this.#exit;
    this.killGroup('SIGTERM');
    const timer = setTimeout(() => this.killGroup('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  killGroup(signal: NodeJS.Signals): void {
    const pid = this.#process.pid;
    if (pid === undefined || this.#exit) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  #emit(event: ChildEvent): void {
    for (const waiter of this.#waiters) waiter(event);
  }

  #remember(text: string): void {
    this.#lastLines.push(text);
    if (this.#lastLines.length > KEPT_LINES) this.#lastLines.shift();
  }
}

export function describeExit(exit: ChildExit): string {
  if (exit.signal) return `signal ${exit.signal}`;
  return exit.code === null ? 'could not start' : `exit code ${exit.code}`;
}
