import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const PARENT_WATCH = pathToFileURL(path.join(__dirname, '../parent-watch.mjs')).href;

/** A pid that was just in use and is not any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid as number;
}

/**
 * A process that watches its ancestors (no IPC channel, as the stack runner) after it exec'd, the way
 * `npm start`'s bin execs into the runner; `handed` is what it sets PR_CANARY_WATCHED_ANCESTRY to before
 * the exec (`$PID` is its own pid). Resolves with how it ended, or 'running' once it says so.
 */
function execIntoWatcher(handed: string): Promise<string> {
  const watcher = `console.log('running'); setInterval(() => {}, 1000);`;
  const script = `const env = { ...process.env, PR_CANARY_WATCHED_ANCESTRY: ${JSON.stringify(handed)}.replace('$PID', process.pid) };
    process.execve(process.execPath, [process.execPath, '--import', ${JSON.stringify(PARENT_WATCH)}, '-e', ${JSON.stringify(watcher)}], env);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (String(chunk).includes('running')) resolve('running');
    });
    child.once('exit', (code, signal) => resolve(`exited: ${signal ?? code}`));
  });
}

describe('parent-watch across an exec (npm start: the bin checks and builds, then execs into the runner)', () => {
  it('stops at once when the parent it watched before the exec is gone: nothing starts orphaned', async () => {
    expect(await execIntoWatcher(`$PID:${await deadPid()}:`)).toBe('exited: SIGTERM');
  });

  it('stops at once when the shell it watched is alive but its npm is gone', async () => {
    // The parent (this test) is still there; the grandparent it watched is not.
    expect(await execIntoWatcher(`$PID:${process.pid}:${await deadPid()}`)).toBe('exited: SIGTERM');
  });

  it('keeps running while the ancestry it watched is there', async () => {
    expect(await execIntoWatcher(`$PID:${process.pid}:`)).toBe('running');
  });

  it("ignores another process's ancestry (a child inherits the variable, not the pid)", async () => {
    expect(await execIntoWatcher(`1:${await deadPid()}:`)).toBe('running');
  });
});
