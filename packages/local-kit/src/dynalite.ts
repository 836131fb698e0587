/// <reference path="./dynalite.d.ts" />
import { mkdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import dynalite from 'dynalite';

export interface RunningDynalite {
  /** `http://<host>:<port>`, for the SDK's `endpoint`. */
  endpoint: string;
  port: number;
  /** Drops open connections and stops listening; safe to call more than once. */
  close(): Promise<void>;
}

export interface DynaliteOptions {
  /** Default 127.0.0.1: nothing local listens beyond loopback. */
  host?: string;
  /** Default 0 (a free port); a given one restarts an empty dynalite where one was. */
  port?: number;
  /** A LevelDB folder (created if missing) that keeps the data across restarts; in memory when absent. */
  path?: string;
  /** How long a table stays CREATING / DELETING / UPDATING (default 0: ACTIVE at once). */
  tableDelayMs?: number;
}

/** [dynalite](https://github.com/architect/dynalite), a real DynamoDB-API server, in this process. */
export async function startDynalite(options: DynaliteOptions = {}): Promise<RunningDynalite> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error('port must be an integer 0-65535');
  const delay = options.tableDelayMs ?? 0;
  if (options.path) makeDirectory(options.path);
  const server = dynalite({
    path: options.path,
    createTableMs: delay,
    deleteTableMs: delay,
    updateTableMs: delay,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${bound}`,
    port: bound,
    close: () => {
      closing ??= new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

/**
 * `mkdir -p`, one folder at a time. Node's `mkdirSync(dir, { recursive: true })` spins forever where a
 * parent exists but answers ENOENT for a child it cannot hold (a path under /proc, a stale mount): it
 * takes ENOENT for "the parent is missing", finds the parent there and tries again. Here each missing
 * folder is made once, and an error is thrown as the system gives it.
 */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); statSync(d, { throwIfNoEntry: false }) === undefined; d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (error) {
      // Made by someone else in the meantime is as good as made here.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !isDirectory(d)) throw error;
    }
  }
}

function isDirectory(dir: string): boolean {
  return statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;
}
