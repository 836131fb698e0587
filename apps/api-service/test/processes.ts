/**
 * Services as real child processes, started exactly like `npm start` does (source mode, tsx, the
 * telemetry register preloaded), with an explicit environment — never this process's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const STARTUP_TIMEOUT_MS = 30_000;

export interface ServiceProcess {
  child: ChildProcess;
  /** Parsed JSON log lines from stdout, in order. */
  logs: Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the first log line that matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startService(
  workspace: 'api-service' | 'store-service',
  env: Record<string, string>,
): ServiceProcess {
  const child = spawn(
    process.execPath,
    [
      '--conditions=pr-canary-source',
      '--import',
      'tsx',
      '--require',
      '@pr-canary/canary-context/register',
      'src/server.ts',
    ],
    {
      cwd: path.join(REPO_ROOT, 'apps', workspace),
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  const waiters: {
    match: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  let stderr = '';
  let pending = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      logs.push(line);
      for (const waiter of waiters.filter((w) => w.match(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog(match) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`${workspace} did not log the expected line; stderr: ${stderr.slice(-2000)}`)),
          STARTUP_TIMEOUT_MS,
        );
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${workspace} exited with ${code}; stderr: ${stderr.slice(-2000)}`));
        });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Waits for the `listening` line and returns the bound port. */
export async function listeningPort(service: ServiceProcess): Promise<number> {
  const line = await service.waitForLog((entry) => entry.msg === 'listening');
  return Number(line.port);
}
