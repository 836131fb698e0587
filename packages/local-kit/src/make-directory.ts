import { mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * `mkdir -p`, one folder at a time. Node's `mkdirSync(dir, { recursive: true })` spins forever where a
 * parent exists but answers ENOENT for a child it cannot hold (a path under /proc, a stale mount): it
 * takes ENOENT for "the parent is missing", finds the parent there and tries again. Here each missing
 * folder is made once, and an error is thrown as the system gives it.
 */
export function makeDirectory(dir: string): void {
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
