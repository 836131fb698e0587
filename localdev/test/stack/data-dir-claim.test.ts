import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { claimDataDir, DATA_DIR_OWNER_FILE, processStartTime } from '../../src/stack/data-dir-claim';

function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'localdev-data-dir-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const claimFile = (dir: string) => path.join(dir, DATA_DIR_OWNER_FILE);

/** A live process other than this one (not a stack), stopped after the test. */
function otherProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  return child.pid as number;
}

describe('the data folder claim (stack.pid)', () => {
  it('is one claim at a time: a second is refused naming the holder, and the folder is free once released', () => {
    const dir = path.join(folder(), 'made/if/missing');
    const release = claimDataDir(dir);
    expect(readFileSync(claimFile(dir), 'utf8')).toBe(`${process.pid} ${processStartTime(process.pid)}\n`);
    expect(() => claimDataDir(dir)).toThrow(
      `the data folder ${dir} is in use by another local stack (pid ${process.pid}): stop that one, or start this one with --data-dir <another folder> or --in-memory`,
    );
    release();
    claimDataDir(dir)();
  });

  it('refuses a folder a live process holds, with its start time on record', () => {
    const dir = folder();
    const holder = otherProcess();
    writeFileSync(claimFile(dir), `${holder} ${processStartTime(holder)}\n`);
    expect(() => claimDataDir(dir)).toThrow(`in use by another local stack (pid ${holder})`);
  });

  it.each([
    ['its process is gone (a stack killed with SIGKILL)', () => `999999999 1\n`],
    [
      'its pid now names another process (handed out again, e.g. after a reboot)',
      () => `${otherProcess()} 1\n`,
    ],
    ['it is not a claim at all', () => 'garbage\n'],
  ])('takes over a claim left behind when %s', (_, left) => {
    const dir = folder();
    writeFileSync(claimFile(dir), left());
    const release = claimDataDir(dir);
    expect(readFileSync(claimFile(dir), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    release();
  });

  it('releases only its own claim: a folder another stack took meanwhile stays claimed', () => {
    const dir = folder();
    const release = claimDataDir(dir);
    const holder = otherProcess();
    const theirs = `${holder} ${processStartTime(holder)}\n`;
    writeFileSync(claimFile(dir), theirs);
    release();
    expect(readFileSync(claimFile(dir), 'utf8')).toBe(theirs);
  });

  it('refuses a folder it cannot use, saying why and how to go on, with no stack trace', () => {
    const file = path.join(folder(), 'a-file');
    writeFileSync(file, '');
    expect(() => claimDataDir(path.join(file, 'data'))).toThrow(
      `the data folder ${path.join(file, 'data')} cannot be used: a part of its path is a file, not a folder. Choose another with --data-dir <folder>, or use --in-memory`,
    );
    // A stale claim that cannot be removed (here a folder in its place; for a user, a read-only
    // folder a killed stack left its claim in): the same sentence, not a raw EPERM.
    const stuck = folder();
    mkdirSync(path.join(claimFile(stuck), 'inside'), { recursive: true });
    expect(() => claimDataDir(stuck)).toThrow(
      new RegExp(`^the data folder ${stuck} cannot be used: it cannot be written \\(.+\\)\\. Choose another`),
    );
    // Where Node's recursive mkdir would spin for ever.
    expect(() => claimDataDir('/proc/1/data/dynamodb')).toThrow(
      'the data folder /proc/1/data/dynamodb cannot be used: it cannot be made there.',
    );
  });
});
