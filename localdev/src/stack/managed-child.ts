import { WatchedChild, type ChildEvent as WatchedChildEvent } from '@pr-canary/local-kit/watched-child';
import { type ParsedLine, parseLine } from './log-format';

export { type ChildExit, describeExit } from '@pr-canary/local-kit/watched-child';

/**
 * One child process of the stack: a {@link WatchedChild} of `@pr-canary/local-kit` (IPC channel and
 * parent-watch, so it dies with the runner even on SIGKILL; its own process group; output and IPC
 * messages to wait on — the channel carries the child's `listening` announcement, so readiness never
 * depends on LOG_LEVEL) whose output lines are cleaned and formatted for the terminal, and whose last
 * lines are kept for the report when it dies.
 */

/** Something a child said: a formatted output line or an IPC message. */
export type ChildEvent = WatchedChildEvent<ParsedLine>;

const KEPT_LINES = 25;

export interface ChildSpec {
  name: string;
  /** node arguments: flags, the script and its arguments. */
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Receives every output line, already cleaned and formatted. */
  onLine(child: ManagedChild, line: ParsedLine): void;
}

export class ManagedChild extends WatchedChild<ParsedLine> {
  readonly #lastLines: string[] = [];

  constructor(spec: ChildSpec) {
    super({
      name: spec.name,
      args: spec.args,
      cwd: spec.cwd,
      env: spec.env,
      parseLine: (raw) => parseLine(raw),
      onLine: (line, child) => {
        const self = child as ManagedChild;
        self.#remember(line.text);
        spec.onLine(self, line);
      },
    });
  }

  lastLines(): readonly string[] {
    return [...this.#lastLines];
  }

  #remember(text: string): void {
    this.#lastLines.push(text);
    if (this.#lastLines.length > KEPT_LINES) this.#lastLines.shift();
  }
}
