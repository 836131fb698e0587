/// <reference path="./dynalite.d.ts" />
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { makeDirectory } from './make-directory';

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
