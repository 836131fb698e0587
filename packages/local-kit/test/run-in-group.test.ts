import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isProcessAlive } from '../src/process-alive';

const RUN_IN_GROUP = path.join(__dirname, '../run-in-group.mjs');
const ROOT = path.join(__dirname, '../../..');

/**
 * The command run in the group: it starts two children of its own (with `stubborn`, the second ignores
 * SIGTERM, so only the SIGKILL after the grace ends it), prints every pid of the tree as a JSON line,
 * then stays — or, with `exitCode`, exits with it at once, leaving its children running.
 */
function treeScript({ exitCode, stubborn = false }: { exitCode?: number; stubborn?: boolean } = {}): string {
  const stay = `setInterval(() => {}, 1000); console.log('up');`;
  const second = stubborn ? `process.on('SIGTERM', () => {}); ${stay}` : stay;
  return `const { spawn } = require('node:child_process');
    const kids = [${JSON.stringify(stay)}, ${JSON.stringify(second)}].map((code) =>
      spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] }));
    let up = 0;
    for (const kid of kids) kid.stdout.once('data', () => {
      if (++up < kids.length) return;
      console.log(JSON.stringify([process.pid, ...kids.map((k) => k.pid)]));
      ${exitCode === undefined ? 'setInterval(() => {}, 1000);' : `process.exit(${exitCode});`}
    });`;
}

interface Run {
  runner: ChildProcess;
  /** Every pid of the command's tree, once it is up. */
  tree: Promise<number[]>;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `run-in-group` as npm's script runs it, or under a shell that is then killed (`viaShell`). */
function start(args: string[], { viaShell = false } = {}): Run {
  const argv = [RUN_IN_GROUP, ...args];
  const runner = viaShell
    ? // `; :` keeps the shell waiting on the runner rather than exec'ing it, as npm's `sh -c` would.
      spawn('sh', ['-c', `"$@"; :`, 'sh', process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  runner.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = once(runner, 'exit').then(([code, signal]) => ({ code, signal }));
  const tree = new Promise<number[]>((resolve, reject) => {
    runner.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('['));
      if (line) resolve(JSON.parse(line) as number[]);
    });
    void exited.then(() => reject(new Error(`run-in-group exited first: ${stderr}`)));
  });
  // Awaited only by the tests whose command prints its tree.
  tree.catch(() => {});
  onTestFinished(async () => {
    const pids = await tree.catch(() => []);
    for (const pid of pids) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    runner.kill('SIGKILL');
  });
  return { runner, tree, stderr: () => stderr, exited };
}

async function expectAllGone(pids: number[]) {
  await expect
    .poll(() => pids.filter((pid) => isProcessAlive(pid)), { timeout: 15_000, interval: 100 })
    .toEqual([]);
}

describe('run-in-group (npm test runs turbo through it)', () => {
  it('ends the whole tree on SIGTERM, SIGKILLing what ignores it after the grace', async () => {
    const run = start([process.execPath, '-e', treeScript({ stubborn: true })]);
    const pids = await run.tree;
    run.runner.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGTERM' });
    await expectAllGone(pids);
    expect(run.stderr()).toBe('');
  });

  it('ends by the signal when a signal stopped the run, even if the command then exits 0 (as turbo does)', async () => {
    const script = `process.on('SIGINT', () => process.exit(0)); console.log(JSON.stringify([process.pid])); setInterval(() => {}, 1000);`;
    const run = start([process.execPath, '-e', script]);
    await run.tree;
    run.runner.kill('SIGINT');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGINT' });
  });

  it('ends the whole tree when the shell that ran it is killed (parent-watch)', async () => {
    const run = start([process.execPath, '-e', treeScript()], { viaShell: true });
    const pids = await run.tree;
    run.runner.kill('SIGKILL');
    await expectAllGone(pids);
  });

  it("passes the command's exit code on, and stops what it left running in its group, saying so", async () => {
    const run = start([process.execPath, '-e', treeScript({ exitCode: 3 })]);
    const pids = await run.tree;
    expect(await run.exited).toEqual({ code: 3, signal: null });
    await expectAllGone(pids);
    expect(run.stderr()).toBe(
      `run-in-group: ${process.execPath} exited and left processes running in its group; stopping them\n`,
    );
  });

  it('exits 0 and says nothing after a command that leaves nothing behind', async () => {
    const run = start([process.execPath, '-e', '']);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stderr()).toBe('');
  });

  it('says so and exits 127 when the command cannot be started; 2 without one', async () => {
    const missing = start(['no-such-command-here']);
    expect(await missing.exited).toEqual({ code: 127, signal: null });
    expect(missing.stderr()).toBe(
      'run-in-group: cannot run no-such-command-here: spawn no-such-command-here ENOENT\n',
    );
    const none = start([]);
    expect(await none.exited).toEqual({ code: 2, signal: null });
    expect(none.stderr()).toBe('usage: node run-in-group.mjs <command> [args…]\n');
  });

  it("is how every root script that runs turbo runs it, in place of npm's shell", () => {
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const runningTurbo = Object.entries(scripts).filter(([, script]) => /\bturbo\b/.test(script));
    expect(runningTurbo.map(([name]) => name)).toEqual(
      expect.arrayContaining(['build', 'test', 'test:browser', 'typecheck', 'lint']),
    );
    for (const [name, script] of runningTurbo)
      expect(script, name).toMatch(/(^|; |&& )exec node packages\/local-kit\/run-in-group\.mjs turbo run /);
  });

  it("gives the command the repository's compile cache, unless NODE_COMPILE_CACHE names another", async () => {
    const { NODE_COMPILE_CACHE: _, ...env } = process.env;
    const cacheOf = async (extra: Record<string, string>) => {
      const printCache = [RUN_IN_GROUP, process.execPath, '-p', 'process.env.NODE_COMPILE_CACHE'];
      const { stdout } = await promisify(execFile)(process.execPath, printCache, {
        env: { ...env, ...extra },
      });
      return stdout.trim();
    };
    const repositoryCache = path.join(ROOT, 'node_modules/.cache/node-compile-cache');
    expect(await cacheOf({})).toBe(repositoryCache);
    expect(await cacheOf({ NODE_COMPILE_CACHE: '' })).toBe(repositoryCache);
    expect(await cacheOf({ NODE_COMPILE_CACHE: '/tmp/elsewhere' })).toBe('/tmp/elsewhere');
  });
});
