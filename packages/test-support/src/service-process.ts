import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { type OutputStream, WatchedChild } from '@pr-canary/local-kit';

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
   * production). local-kit's parent watch is always loaded first.
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

/** A TypeScript fixture runs from source through tsx; compiled JavaScript runs as in the images. */
const SOURCE_ARGS = ['--conditions=pr-canary-source', '--import', 'tsx'] as const;
/** The node flag of the services' start command (service-kit's idle memory reducer takes `gc`). */
const NODE_FLAGS = ['--expose-gc'] as const;
/** What the services' start command preloads (the telemetry register): `startServiceProcess`'s default. */
export const SERVICE_PRELOAD = ['@pr-canary/service-kit/register'] as const;

/**
 * SERVICE_PRELOAD, then a preload that logs, as the process exits, every package it loaded
 * (`loadedPackages`). From the package root, so it resolves from src and dist alike.
 */
export const SERVICE_PRELOAD_REPORTING_PACKAGES = [
  ...SERVICE_PRELOAD,
  path.join(__dirname, '..', 'preload', 'loaded-packages.cjs'),
] as const;

/** The packages an exited service started with SERVICE_PRELOAD_REPORTING_PACKAGES loaded, sorted. */
export function loadedPackages(service: Pick<ServiceProcess, 'logs'>): string[] {
  const report = service.logs.findLast((line) => line.msg === 'loaded packages');
  if (!Array.isArray(report?.packages))
    throw new Error(
      'no "loaded packages" line: was the process started with SERVICE_PRELOAD_REPORTING_PACKAGES, and has it exited?',
    );
  return report.packages as string[];
}

/** Inside the shared 20 s test and hook timeouts, so a start that never comes fails with its own message. */
const DEFAULT_WAIT_TIMEOUT_MS = 15_000;

interface OutputLine {
  stream: OutputStream;
  raw: string;
  /** A stdout line that is a JSON object. */
  json: LogLine | undefined;
}

function parseJsonLine(text: string): LogLine | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as LogLine;
  } catch {
    return undefined;
  }
}

/**
 * Starts `script` exactly as `npm start` and the images do, as a child process the test owns: a
 * `WatchedChild` of `@pr-canary/local-kit` (the local stack's children are the same kind), so it dies
 * with the test process even when the test worker is SIGKILLed.
 */
export function startServiceProcess(options: ServiceProcessOptions): ServiceProcess {
  const script = options.script ?? 'dist/server.js';
  const runtimeArgs = script.endsWith('.ts') ? SOURCE_ARGS : [];
  const waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const preload = (options.preload ?? SERVICE_PRELOAD).flatMap((module) => ['--require', module]);
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const child = new WatchedChild<OutputLine>({
    name: `${options.cwd} ${script}`,
    args: [...NODE_FLAGS, ...runtimeArgs, ...preload, script],
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    parseLine: (raw, stream) => ({ stream, raw, json: stream === 'stdout' ? parseJsonLine(raw) : undefined }),
    onLine: (line) => {
      if (line.json) logs.push(line.json);
      else if (line.stream === 'stderr') stderr.push(line.raw);
    },
  });
  const stderrText = () => stderr.join('\n');
  const exited = child.exited.then((exit) => exit.code);

  return {
    child: child.process,
    logs,
    stderr: stderrText,
    exited,
    async waitForLog(match) {
      const seen = logs.find(match);
      if (seen) return seen;
      try {
        return await child.waitFor(
          (event) =>
            event.kind === 'line' && event.line.json && match(event.line.json) ? event.line.json : undefined,
          'the expected log line',
          waitTimeoutMs,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; stderr: ${stderrText().slice(-2000)}`);
      }
    },
    async stop() {
      await child.stop(0);
    },
  };
}

/** Waits for the service's `listening` line and returns the port it bound. */
export async function listeningPort(service: ServiceProcess): Promise<number> {
  const line = await service.waitForLog((entry) => entry.msg === 'listening');
  return Number(line.port);
}
