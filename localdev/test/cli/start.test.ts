import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_CONTROL_URL, everyPortOption } from '../../src/cli/port-options';
import { runCanaryCli } from '../helper';

// Every port the stack claims, so the tests never collide with each other or with a running `npm start`.
const ALL_PORTS_FREE = everyPortOption();
const STABLE_ONLY = [...ALL_PORTS_FREE, '--no-web', '--in-memory', '--no-canaries'];

const BIN_DIR = path.resolve(__dirname, '../../bin');
const START_BIN = path.join(BIN_DIR, 'start.mjs');
const REPO_NODE_MODULES = path.resolve(BIN_DIR, '../../node_modules');

/** The environment of a plain shell: no npm_config_* (vitest may run under npm). */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.toLowerCase().startsWith('npm_config_')) env[name] = value;
  return { ...env, ...extra };
}

/**
 * The bin's notice when its (cached) build takes over a second — on a loaded machine even a no-op
 * build may: it is left out of the stderr the tests compare, which is the bin's answer to them.
 */
const BUILD_NOTICE = /^npm start: building the services and the web UI [^\n]*\n/m;

function runStart(
  args: readonly string[],
  env = plainEnv(),
  bin = START_BIN,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 18_000, env }, (error, stdout, stderr) => {
      resolve({
        code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
        stdout,
        stderr: stderr.replace(BUILD_NOTICE, ''),
      });
    });
  });
}

/**
 * The real bin and the real sources, in a tree whose `turbo` is a stand-in build that leaves a mark and
 * fails: whether (and when) the bin builds shows.
 */
function binWithBrokenBuild(
  lastBuildsCheck?: (root: string) => string,
  standInBuild = (mark: string) =>
    `require('node:fs').writeFileSync(${JSON.stringify(mark)}, ''); console.error('stand-in build: broken'); process.exit(1);\n`,
): { bin: string; built(): boolean } {
  const root = mkdtempSync(path.join(tmpdir(), 'localdev-broken-build-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  const mark = path.join(root, 'built');
  mkdirSync(path.join(root, 'localdev/bin'), { recursive: true });
  if (lastBuildsCheck) {
    // What an earlier build left: the compiled check the bin asks first.
    mkdirSync(path.join(root, 'localdev/dist/cli'), { recursive: true });
    writeFileSync(path.join(root, 'localdev/dist/cli/start-check.js'), lastBuildsCheck(root));
  }
  for (const file of ['start.mjs', 'run-ts.mjs'])
    copyFileSync(path.join(BIN_DIR, file), path.join(root, 'localdev/bin', file));
  symlinkSync(path.resolve(BIN_DIR, '../src'), path.join(root, 'localdev/src'));
  const turbo = path.join(root, 'node_modules/turbo');
  mkdirSync(path.join(turbo, 'bin'), { recursive: true });
  writeFileSync(path.join(turbo, 'package.json'), JSON.stringify({ name: 'turbo', version: '0.0.0' }));
  writeFileSync(path.join(turbo, 'bin/turbo'), standInBuild(mark));
  for (const dependency of ['tsx', '@pr-canary'])
    symlinkSync(path.join(REPO_NODE_MODULES, dependency), path.join(root, 'node_modules', dependency));
  return { bin: path.join(root, 'localdev/bin/start.mjs'), built: () => existsSync(mark) };
}

async function occupyPort(): Promise<number> {
  const server = net.createServer();
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Every live process whose parent chain leads to `root` (read from /proc). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  for (const pid of parentOf.keys()) {
    for (let parent = parentOf.get(pid); parent !== undefined && parent > 1; parent = parentOf.get(parent)) {
      if (parent === root) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

/** Running (a zombie has exited; only its parent — maybe init — has yet to reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

interface RunningStart {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Everything `child` writes to stdout and stderr, as it arrives. */
function collectedOutput(child: ChildProcess): () => string {
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => (output += chunk));
  return () => output;
}

/** The real bin, started like `npm start -- …` would, until its ready banner. */
async function startUntilReady(args: readonly string[], env = plainEnv()): Promise<RunningStart> {
  const child = spawn(process.execPath, [START_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const output = collectedOutput(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = { child, output, exited };
  onTestFinished(async () => {
    const pids = child.pid === undefined ? [] : descendants(child.pid);
    child.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  await expect.poll(output, { timeout: 15_000, interval: 100 }).toContain('Ctrl-C stops everything.');
  return started;
}

/**
 * The real bin as `npm start` runs it: a stand-in npm process runs `sh -c '<node> start.mjs …'` (npm's
 * own way, a shell that stays), until the ready banner. Returns the stand-in npm, the shell and the
 * runner (the bin exec'd into it, the shell's child).
 */
async function startUnderNpm(args: readonly string[]) {
  const { npm, output, below: belowNpm } = spawnUnderNpm(args);
  await expect.poll(output, { timeout: 15_000, interval: 100 }).toContain('Ctrl-C stops everything.');
  const below = belowNpm();
  const runner = below.find((pid) => cmdline(pid).includes('dist/cli/start.js'));
  // Debian's sh (dash) stays between npm and the command, as it does under npm itself.
  const shell = below.find((pid) => cmdline(pid).startsWith('sh\0-c'));
  if (runner === undefined || shell === undefined) throw new Error(`no runner or shell under npm: ${below}`);
  return { npm, shell, runner, children: descendants(runner) };
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return ''; // gone meanwhile
  }
}

/**
 * `bin` run the way npm runs a script: a stand-in npm process runs `sh -c '<node> <bin> …'` (npm's own
 * way, a shell that stays). `below()`: the processes under npm now (each remembered, and killed with
 * everything under it when the test ends).
 */
function spawnUnderNpm(args: readonly string[], bin = START_BIN) {
  const command = [process.execPath, bin, ...args].map((word) => `'${word}'`).join(' ');
  const npm = spawn(
    process.execPath,
    [
      '-e',
      `const c = require('node:child_process').spawn('sh', ['-c', ${JSON.stringify(command)}], { stdio: 'inherit' });
       c.on('exit', (code) => process.exit(code ?? 1));`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: plainEnv() },
  );
  const output = collectedOutput(npm);
  // What was seen below npm while it lived: a runner orphaned by the test (the check failing) is no
  // longer npm's descendant, and must not outlive the test either.
  const seen = new Set<number>();
  onTestFinished(() => {
    for (const pid of npm.pid === undefined ? [] : descendants(npm.pid)) seen.add(pid);
    npm.kill('SIGKILL');
    for (const pid of seen)
      for (const below of [pid, ...descendants(pid)]) if (alive(below)) process.kill(below, 'SIGKILL');
  });
  const below = () => {
    const now = descendants(npm.pid ?? Number.NaN);
    for (const pid of now) seen.add(pid);
    return now;
  };
  return { npm, output, below };
}

/**
 * Closes what reads the runner's output, then `next` gives it a line to write: the stack must stop in
 * order (exit code 0, every child gone), not crash on the write error (exit 1, an unhandled EPIPE's
 * stack trace, every child SIGKILLed by its exit hook).
 */
async function expectOrderedStopWithOutputClosed(
  started: RunningStart,
  children: number[],
  next: () => void,
): Promise<void> {
  started.child.stdout?.destroy();
  next();
  expect(await started.exited).toBe(0);
  expect(started.output()).not.toMatch(/Unhandled|EPIPE|EIO|\n\s+at /);
  await expect.poll(() => children.filter(alive), { timeout: 20_000 }).toEqual([]);
}

/** The runner (the bin's own process, which exec'd into it) and the stack's children below it. */
function stackProcesses(bin: ChildProcess): { runner: number; children: number[] } {
  const runner = bin.pid ?? Number.NaN;
  expect(readFileSync(`/proc/${runner}/cmdline`, 'utf8')).toContain('dist/cli/start.js');
  return { runner, children: descendants(runner) };
}

describe('npm start (localdev/bin/start.mjs)', () => {
  it('stops before starting anything when ports are taken, naming each port and its flag', async () => {
    const port = await occupyPort();
    const run = await runStart(['--http-port', String(port), '--no-web', '--in-memory']);
    expect(run.stderr).toContain(`port ${port} (dev router HTTP entry): change it with --http-port <port>`);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
  });

  it('refuses CANARY_HEADER_TRUSTED in its environment before starting anything, naming it but not its value', async () => {
    // Every port free: were the check missing, the stack would start (and every instance then refuse).
    const value = 'no\u001b[31m';
    const run = await runStart([...STABLE_ONLY], plainEnv({ CANARY_HEADER_TRUSTED: value }));
    expect(run.stderr).toMatch(
      /^npm start: CANARY_HEADER_TRUSTED is set in the environment: the local stack trusts the canary key .*; unset it\./,
    );
    expect(run.stderr).not.toContain(value);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(2);
  });

  // Every refusal's words are checked in-process (start-options.test.ts); here, that the bin prints
  // its check's answer as it is, before any build, and builds only a command line that can run.
  it('answers --help and refuses a bad command line before building (a broken build does not stand in the way)', async () => {
    const tree = binWithBrokenBuild();
    const help = await runStart(['--help'], plainEnv(), tree.bin);
    expect(help.stdout).toMatch(/^Usage: npm start -- \[options\]\n/);
    expect(help.stdout).toContain('--http-port N');
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);

    // An option with a control character: refused, with `?` in its place, on one line.
    const typo = await runStart(['--in-\u001b[31mmemroy'], plainEnv(), tree.bin);
    expect(typo.stderr).toBe(
      'npm start: unknown option --in-?[31mmemroy; `npm start -- --help` lists every option\n',
    );
    expect(typo.stdout).toBe('');
    expect(typo.code).toBe(2);
    expect(tree.built()).toBe(false);

    // A command line that can run goes on to the build: here the stand-in, whose failure is reported.
    const valid = await runStart(['--no-web', '--in-memory'], plainEnv(), tree.bin);
    expect(valid.stderr).toContain('stand-in build: broken');
    expect(valid.stderr).toContain('npm start: the build failed (above)');
    expect(valid.code).toBe(1);
    expect(tree.built()).toBe(true);
  });

  it("asks the last build's check first but takes only a plan from it: a stale build never refuses what the sources accept", async () => {
    // A build from older sources that refuses everything (an option added since, say).
    const stale = binWithBrokenBuild(() => "console.error('stale check: refused'); process.exitCode = 2;\n");
    const help = await runStart(['--help'], plainEnv(), stale.bin);
    expect(help.stdout).toMatch(/^Usage: npm start -- \[options\]\n/);
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    const valid = await runStart(['--no-web', '--in-memory'], plainEnv(), stale.bin);
    expect(valid.stderr).not.toContain('stale check');
    expect(valid.stderr).toContain('npm start: the build failed (above)');
    expect(stale.built()).toBe(true);

    // A build whose check answers a plan: taken as is (and the sources' check is not run).
    const current = binWithBrokenBuild(
      (root) =>
        `require('node:fs').writeFileSync(${JSON.stringify(path.join(root, 'asked'))}, '');\n` +
        'process.send({ buildWeb: false }, () => process.disconnect());\n',
    );
    const planned = await runStart(['--no-web', '--in-memory'], plainEnv(), current.bin);
    expect(planned.stderr).toContain('npm start: the build failed (above)');
    expect(current.built()).toBe(true);
    expect(existsSync(path.join(path.dirname(path.dirname(path.dirname(current.bin))), 'asked'))).toBe(true);
  });

  it('says to run `npm ci` when the dependencies are not installed', async () => {
    const bare = mkdtempSync(path.join(tmpdir(), 'localdev-no-deps-'));
    onTestFinished(() => rmSync(bare, { recursive: true, force: true }));
    for (const file of ['start.mjs', 'run-ts.mjs'])
      copyFileSync(path.join(BIN_DIR, file), path.join(bare, file));
    const run = await runStart([], plainEnv(), path.join(bare, 'start.mjs'));
    expect(run.stderr).toBe(
      'npm start: the dependencies are not installed. Run `npm ci` at the repository root first.\n',
    );
    expect(run.code).toBe(1);
  });

  it('prints one prefix per instance and a ready banner, and stops every child on SIGTERM', async () => {
    // PR 7 has a store canary only; the control endpoint is on a port of the OS's choosing, not 8090.
    const started = await startUntilReady([
      ...ALL_PORTS_FREE,
      '--no-web',
      '--in-memory',
      '--canary',
      '7=store',
    ]);
    const stdout = started.output();
    expect(stdout).toMatch(/^store stable +│ INFO: listening \{"port":\d+/m);
    expect(stdout).toMatch(/^api stable +│ INFO: listening \{"port":\d+/m);
    expect(stdout).toMatch(/^store pr-7 +│ INFO: listening \{"port":\d+/m);
    expect(stdout).toMatch(/pr-canary local stack is ready in [0-9.]+ s/);
    const apiUrl = /curl -i (http:\/\/localhost:\d+)\/api\/route/.exec(stdout)?.[1];
    expect(apiUrl).toBeDefined();
    expect((await fetch(`${apiUrl}/api/route`)).status).toBe(200);
    // The fault it suggests works as printed against this stack: a service PR 7 has, this control port.
    const fault = /^ {3}npx pr-canary (fault \S+ --control \S+)/m.exec(stdout)?.[1];
    expect(fault).toMatch(/^fault 7:store:error-rate=0\.2 --control http:\/\/127\.0\.0\.1:\d+$/);
    const control = fault?.split(' ').at(-1) as string;
    expect(control).not.toBe(DEFAULT_CONTROL_URL);
    expect(/^ {3}npx pr-canary analyze --pr 7 --control (\S+)/m.exec(stdout)?.[1]).toBe(control);
    const applied = await runCanaryCli((fault as string).split(' '));
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const listed = await runCanaryCli(['fault', '--list', '--control', control]);
    expect(listed.stdout).toMatch(/^store-service +pr-7 +error-rate=0\.2/m);
    const { runner, children } = stackProcesses(started.child);
    // The runner only starts dynalite as a process: its LevelDB addon is not loaded into the runner.
    expect(readFileSync(`/proc/${runner}/maps`, 'utf8')).not.toMatch(/classic-level|leveldown/);

    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    expect(started.output()).toContain('every process of the stack has stopped');
    expect(children.filter(alive)).toEqual([]);
    await expect(fetch(`${apiUrl}/api/route`)).rejects.toThrow();
  });

  it('becomes ready with LOG_LEVEL=warn, and a closed terminal (SIGHUP, its output gone) stops in order', async () => {
    const started = await startUntilReady(STABLE_ONLY, plainEnv({ LOG_LEVEL: 'warn' }));
    expect(started.output()).not.toMatch(/(api|store) stable +│ INFO/);
    const { children } = stackProcesses(started.child);
    expect(children.length).toBeGreaterThanOrEqual(3);

    // The terminal's side goes first: the runner's "SIGHUP: stopping…" meets a closed output.
    await expectOrderedStopWithOutputClosed(started, children, () => started.child.kill('SIGHUP'));
  });

  it.each([
    ['npm forwards SIGTERM to its `sh -c`, which dies without passing it on', 'shell'],
    ['npm itself is killed with SIGKILL, its `sh -c` left waiting', 'npm'],
  ] as const)('stops the whole stack when what npm start ran in goes away: %s', async (_, victim) => {
    const started = await startUnderNpm(STABLE_ONLY);
    expect(started.children.length).toBeGreaterThanOrEqual(3);
    if (victim === 'shell') process.kill(started.shell, 'SIGTERM');
    else started.npm.kill('SIGKILL');
    await expect
      .poll(() => [started.runner, ...started.children].filter(alive), { timeout: 20_000 })
      .toEqual([]);
  });

  it('starts nothing when what npm start ran in goes away while it builds, and stops the build', async () => {
    const building = path.join(tmpdir(), `localdev-build-${process.pid}-${Date.now()}`);
    // A build that takes as long as the test needs: it runs until it is stopped.
    const { bin, built } = binWithBrokenBuild(
      undefined,
      (mark) =>
        // Its pid first, then the mark the test waits for.
        `require('node:fs').writeFileSync(${JSON.stringify(building)}, String(process.pid)); require('node:fs').writeFileSync(${JSON.stringify(mark)}, ''); setInterval(() => {}, 1000);\n`,
    );
    onTestFinished(() => rmSync(building, { force: true }));
    const { below } = spawnUnderNpm(STABLE_ONLY, bin);
    await expect.poll(built, { timeout: 15_000 }).toBe(true);
    const processes = below();
    const shell = processes.find((pid) => cmdline(pid).startsWith('sh\0-c'));
    const startBin = processes.find(
      (pid) => cmdline(pid).startsWith(`${process.execPath}\0`) && cmdline(pid).includes('start.mjs'),
    );
    const build = Number(readFileSync(building, 'utf8'));
    expect([shell, startBin].every((pid) => pid !== undefined && alive(pid))).toBe(true);
    expect(alive(build)).toBe(true);

    // npm forwards SIGTERM to its `sh -c`, which dies without passing it on.
    process.kill(shell as number, 'SIGTERM');
    await expect.poll(() => [startBin as number, build].filter(alive), { timeout: 10_000 }).toEqual([]);
  });

  it('stops in order when nobody reads its output any more (npm start | head) and it has a line to write', async () => {
    const started = await startUntilReady(STABLE_ONLY);
    const { children } = stackProcesses(started.child);
    // A child dies: the runner's report of it meets the closed pipe.
    await expectOrderedStopWithOutputClosed(started, children, () =>
      process.kill(children[0] as number, 'SIGKILL'),
    );
  });

  it('leaves no child behind when the stack runner is killed with SIGKILL', async () => {
    const started = await startUntilReady(STABLE_ONLY);
    const { runner, children } = stackProcesses(started.child);
    expect(children.length).toBeGreaterThanOrEqual(3);

    process.kill(runner, 'SIGKILL');
    await started.exited;
    await expect.poll(() => children.filter(alive), { timeout: 20_000 }).toEqual([]);
  });
});
