/**
 * One stack per data folder: dynalite's LevelDB locks it, and a second stack's dynalite died on it with
 * "Database is closed" and took that stack down with no word of why. `stack.pid` in the folder names
 * the stack using it — its pid and the process's start time — and is:
 * - made with O_EXCL, before anything starts, so two stacks started at the same moment cannot both
 *   take the folder (a check and a later write could both pass);
 * - taken over when stale: its process is gone (a stack killed with SIGKILL leaves the file), or its pid
 *   now names another process (after a reboot pids are handed out again), told apart by start time;
 * - removed only by the stack it names, so a stack that fails does not free a folder another one holds.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { makeDirectory } from '@pr-canary/local-kit/make-directory';
import { isProcessAlive } from '@pr-canary/local-kit/process-alive';

export const DATA_DIR_OWNER_FILE = 'stack.pid';

export class DataDirError extends Error {
  override name = 'DataDirError';
}

/** The start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22); undefined where unknown. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …: the fields after the command name, which may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The pid of the live process the claim in `file` names; undefined when there is none or it is stale. */
function liveOwner(file: string): number | undefined {
  let claim: string;
  try {
    claim = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [pidText = '', startTime] = claim.trim().split(' ');
  const pid = Number(pidText);
  if (!/^\d{1,10}$/.test(pidText) || pid <= 0 || !isProcessAlive(pid)) return undefined;
  // The same pid, another process: the one that claimed the folder is gone.
  if (startTime !== undefined) {
    const now = processStartTime(pid);
    if (now !== undefined && now !== startTime) return undefined;
  }
  return pid;
}

const UNUSABLE_REASONS: Record<string, string> = {
  EROFS: 'it is on a read-only file system',
  EACCES: 'there is no permission to write in it',
  EPERM: 'there is no permission to write in it',
  ENOTDIR: 'a part of its path is a file, not a folder',
  ENOENT: 'it cannot be made there',
  ENOSPC: 'its disk is full',
};

function unusable(dir: string, error: unknown): DataDirError {
  const code = (error as NodeJS.ErrnoException)?.code ?? '';
  const reason = UNUSABLE_REASONS[code] ?? `it cannot be written (${code || 'unknown error'})`;
  return new DataDirError(
    `the data folder ${dir} cannot be used: ${reason}. Choose another with --data-dir <folder>, or use --in-memory`,
  );
}

/**
 * Claims `dir` (made if missing) for this process; returns what releases it. Refuses a folder another
 * live stack holds, naming its pid, and a folder that cannot be written, saying why (DataDirError).
 */
export function claimDataDir(dir: string): () => void {
  const file = path.join(dir, DATA_DIR_OWNER_FILE);
  const claim = `${process.pid} ${processStartTime(process.pid) ?? ''}`.trim();
  try {
    // Not Node's recursive mkdir, which spins forever under /proc (local-kit's make-directory.ts).
    makeDirectory(dir);
  } catch (error) {
    throw unusable(dir, error);
  }
  // Twice at most: a stale claim is removed once; a claim still there after that is a live one's.
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(dir, error);
      const owner = liveOwner(file);
      if (owner !== undefined)
        throw new DataDirError(
          `the data folder ${dir} is in use by another local stack (pid ${owner}): stop that one, or start this one with --data-dir <another folder> or --in-memory`,
        );
      try {
        rmSync(file, { force: true });
      } catch (removal) {
        // A stale claim in a folder that cannot be written (left by a killed stack, then made read-only).
        throw unusable(dir, removal);
      }
      continue;
    }
    try {
      writeSync(fd, `${claim}\n`);
    } catch (error) {
      rmSync(file, { force: true });
      throw unusable(dir, error);
    } finally {
      closeSync(fd);
    }
    return () => {
      let current: string | undefined;
      try {
        current = readFileSync(file, 'utf8').trim();
      } catch {
        return; // removed already
      }
      if (current === claim) rmSync(file, { force: true });
    };
  }
  throw new DataDirError(
    `the data folder ${dir} is in use by another local stack that is starting: stop that one, or start this one with --data-dir <another folder> or --in-memory`,
  );
}
