/**
 * Every process the bench starts goes through here: its own process group, the die-with-parent
 * preload, and one cleanup that kills every group on exit, SIGINT, SIGTERM or a crash.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const BENCH_DIR = path.resolve(__dirname, '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const DIE_WITH_PARENT = path.join(BENCH_DIR, 'lib', 'die-with-parent.cjs');
/** How the bench's own TypeScript processes run: workspace sources through the export condition. */
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** BENCH_CPU_PROF=api,store: those processes run with --cpu-prof, profiles in bench/results/profiles. */
const PROFILED = new Set((process.env.BENCH_CPU_PROF ?? '').split(',').filter(Boolean));
const PROFILE_DIR = path.join(BENCH_DIR, 'results', 'profiles');

export type Line = Record<string, unknown>;

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Resolves with the first JSON stdout line that matches (fails if the process exits or times out). */
  waitFor(match: (line: Line) => boolean, timeoutMs?: number): Promise<Line>;
  /** Writes one JSON line to the child's stdin. */
  send(message: unknown): void;
  stop(): Promise<void>;
}

const running = new Set<Child>();

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function killAll(): void {
  for (const child of running) killGroup(child.process);
  running.clear();
}

process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}
process.once('uncaughtException', (error) => {
  killAll();
  process.stderr.write(`${error.stack ?? String(error)}\n`);
  process.exit(1);
});

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/** Starts `node [args]` in its own process group, with stdin/stdout as JSON-line channels. */
export function spawnNode(name: string, args: readonly string[], options: SpawnOptions = {}): Child {
  const profile = PROFILED.has(name) ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, name)}`] : [];
  const proc = spawn(process.execPath, [...profile, '--require', DIE_WITH_PARENT, ...args], {
    cwd: options.cwd ?? BENCH_DIR,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  if (proc.pid === undefined) throw new Error(`${name} did not start`);
  const lines: Line[] = [];
  const waiters = new Set<{ match: (line: Line) => boolean; resolve: (line: Line) => void }>();
  let stderr = '';
  let pending = '';
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const text of parts) {
      if (!text.includes('"msg":"listening"') && !text.includes('"ready"')) continue;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue;
      }
      // Keep only what a waiter may still ask for: services log a line per request.
      if (line.msg === 'listening' || line.ready !== undefined) lines.push(line);
      for (const waiter of waiters) {
        if (waiter.match(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  proc.stdin?.on('error', () => {});
  const exited = once(proc, 'exit');
  const child: Child = {
    name,
    pid: proc.pid,
    process: proc,
    waitFor(match, timeoutMs = READY_TIMEOUT_MS) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const fail = (why: string) => {
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${name}: ${why}; stderr: ${stderr.slice(-1500)}`));
        };
        const waiter = {
          match,
          resolve: (line: Line) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => fail(`no expected line within ${timeoutMs} ms`), timeoutMs);
        waiters.add(waiter);
        void exited.then(([code, signal]) => {
          if (waiters.has(waiter)) fail(`exited (${code ?? signal}) before the expected line`);
        });
      });
    },
    send(message) {
      proc.stdin?.write(`${JSON.stringify(message)}\n`);
    },
    async stop() {
      running.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      // A graceful stop first (a --cpu-prof profile is written on a normal exit), then the group.
      proc.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(proc), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      killGroup(proc);
    },
  };
  running.add(child);
  return child;
}

/**
 * One of the bench's own scripts (bench/procs/*.ts: baselines, load generators, the router and the
 * trace receiver), through tsx, with the workspace packages it imports resolved to their compiled
 * `dist` (as `npm start` runs them), not to their TypeScript sources: tsx's transform (a `__name(…)`
 * call for every named closure made, and more) costs what shipped code never pays — the dev router
 * from source cost 0.49–0.62 ms CPU per proxied gRPC call, compiled 0.36–0.47 ms (Nov 2026, same
 * session, against 0.33–0.46 ms for the bare Node HTTP/2 proxy). Baselines and loaders alike, so a
 * baseline is not slowed by a transform its subject does not pay either.
 */
export function spawnBenchProcess(script: string, env: Record<string, string | undefined> = {}): Child {
  return spawnNode(script, ['--import', 'tsx', path.join(BENCH_DIR, 'procs', `${script}.ts`)], { env });
}

/**
 * A service exactly as its workspace's `npm start` runs it: the `start` script's node arguments,
 * in the workspace folder. (So the bench follows however the services are started.)
 */
export function spawnService(name: string, workspace: string, env: Record<string, string>): Child {
  const cwd = path.join(REPO_ROOT, workspace);
  const manifest = JSON.parse(readFileSync(path.join(cwd, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const [command, ...args] = (manifest.scripts?.start ?? '').trim().split(/\s+/);
  if (command !== 'node') throw new Error(`${workspace}: the start script must run node, got "${command}"`);
  return spawnNode(name, args, { cwd, env });
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuMs(child: Child): number {
  const { exitCode, signalCode } = child.process;
  if (exitCode !== null || signalCode !== null) {
    throw new Error(`${child.name} exited (${exitCode ?? signalCode}) during the bench`);
  }
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may contain spaces): utime is field 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Runs a bench script's `main`, then exits: 0 once it is done, 1 with the error if it failed. Exiting
 * (not waiting for the event loop to empty) kills any child still running: a child the script forgot
 * to stop kept the bench alive through its stdio pipes, without end, after the results were written.
 */
export function runBenchScript(title: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${title} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
