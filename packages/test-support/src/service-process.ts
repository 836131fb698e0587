import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** A parsed JSON log line. */
export type LogLine = Record<string, unknown>;

export interface ServiceProcessOptions {
  /** The workspace folder; the register module (and tsx, for a `.ts` script) resolve from here. */
  cwd: string;
  /**
   * Script relative to `cwd` (default `dist/server.js`, the compiled service as the images run it).
   * A `.ts` script runs from source through tsx with the `pr-canary-source` condition.
   */
  script?: string;
  /** The child's whole environment besides PATH — never this process's. */
  env: Record<string, string>;
  /**
   * Modules loaded with `--require` before the script (default: the telemetry register, as in
   * production). The parent watch (below) is always loaded first.
   */
  preload?: readonly string[];
  /** How long `waitForLog` waits before failing (default 30 s). */
  waitTimeoutMs?: number;
}

export interface ServiceProcess {
  child: ChildProcess;
  /** JSON lines from stdout, in order (other lines are skipped). */
  logs: LogLine[];
  stderr(): string;
  /** Resolves with the first log line that matches, failing on timeout or when the process exits first. */
  waitForLog(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** Resolves with the exit code (null when ended by a signal). */
  exited: Promise<number | null>;
  /** SIGKILL unless it has exited already; resolves once it has. */
  stop(): Promise<void>;
}

/** Compiled JavaScript runs as in the images; a TypeScript fixture runs from source through tsx. */
const COMPILED_ARGS = ['--enable-source-maps'] as const;
const SOURCE_ARGS = ['--conditions=pr-canary-source', '--import', 'tsx'] as const;
const DEFAULT_PRELOAD = ['@pr-canary/canary-context/register'] as const;
/**
 * Every child gets an IPC channel to this process and preloads the parent watch, so it dies with its
 * parent even when the test worker is SIGKILLed (the channel closes, the child sends itself SIGTERM).
 */
const PARENT_WATCH = '@pr-canary/canary-context/parent-watch';

const DEFAULT_WAIT_TIMEOUT_MS = 30_000;

function parseJsonLine(text: string): LogLine | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as LogLine;
  } catch {
    return undefined;
  }
}

/** Starts `script` exactly as `npm start` and the images do, as a child process the test owns. */
export function startServiceProcess(options: ServiceProcessOptions): ServiceProcess {
  const script = options.script ?? 'dist/server.js';
  const runtimeArgs = script.endsWith('.ts') ? SOURCE_ARGS : COMPILED_ARGS;
  const waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const preload = [
    '--import',
    PARENT_WATCH,
    ...(options.preload ?? DEFAULT_PRELOAD).flatMap((module) => ['--require', module]),
  ];
  const child = spawn(process.execPath, [...runtimeArgs, ...preload, script], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // The channel is only there to close when this process dies; it must not keep this process alive.
  child.channel?.unref();
  const logs: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let stderr = '';
  let pending = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.map(parseJsonLine)) {
      if (!line) continue;
      logs.push(line);
      for (const waiter of waiters) {
        if (waiter.match(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  // 'close' (not 'exit'): stdout is fully read by then, so no last line is missed.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  const describe = () => `${options.cwd} ${script}; stderr: ${stderr.slice(-2000)}`;

  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog(match) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (line: LogLine) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching log line within ${waitTimeoutMs} ms from ${describe()}`));
        }, waitTimeoutMs);
        waiters.add(waiter);
        void exited.then((code) => {
          if (!waiters.delete(waiter)) return;
          clearTimeout(timer);
          reject(new Error(`exited with ${code} before the expected log line: ${describe()}`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Waits for the service's `listening` line and returns the port it bound. */
export async function listeningPort(service: ServiceProcess): Promise<number> {
  const line = await service.waitForLog((entry) => entry.msg === 'listening');
  return Number(line.port);
}
