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
function binWithBrokenBuild(lastBuildsCheck?: (root: string) => string): { bin: string; built(): boolean } {
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
  writeFileSync(
    path.join(turbo, 'bin/turbo'),
    `require('node:fs').writeFileSync(${JSON.stringify(mark)}, ''); console.error('stand-in build: broken'); process.exit(1);\n`,
  );
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
  const command = [process.execPath, START_BIN, ...args].map((word) => `'${word}'`).join(' ');
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
  await expect.poll(output, { timeout: 15_000, interval: 100 }).toContain('Ctrl-C stops everything.');
  const below = descendants(npm.pid ?? Number.NaN);
  for (const pid of below) seen.add(pid);
  const cmdline = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return ''; // gone meanwhile
    }
  };
  const runner = below.find((pid) => cmdline(pid).includes('dist/cli/start.js'));
  // Debian's sh (dash) stays between npm and the command, as it does under npm itself.
  const shell = below.find((pid) => cmdline(pid).startsWith('sh\0-c'));
  if (runner === undefined || shell === undefined) throw new Error(`no runner or shell under npm: ${below}`);
  return { npm, shell, runner, children: descendants(runner) };
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

  it('refuses a --data-dir that is empty or a file, before starting anything', async () => {
    const quiet = ['--no-web', '--no-canaries'];
    const empty = await runStart(['--data-dir', '', ...quiet]);
    expect(empty.stderr).toBe('npm start: --data-dir must name a folder (or use --in-memory)\n');
    expect(empty.code).toBe(2);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pr-canary-data-')), 'not-a-folder');
    writeFileSync(file, '');
    onTestFinished(() => rmSync(path.dirname(file), { recursive: true, force: true }));
    const aFile = await runStart(['--data-dir', file, ...quiet]);
    expect(aFile.stderr).toBe('npm start: --data-dir names a file, not a folder\n');
    expect(aFile.code).toBe(2);
  });

  it('rejects a malformed --canary with a message naming the rule', async () => {
    const run = await runStart(['--canary', '042=api', '--no-web', '--in-memory']);
    expect(run.stderr).toContain(
      'invalid --canary value: pr: a PR number is 1-999999999 without leading zeros',
    );
    expect(run.code).toBe(2);
  });

  it('refuses CANARY_HEADER_TRUSTED in its environment before starting anything, naming it but not its value', async () => {
    // Every port free: were the check missing, the stack would start (and every instance then refuse).
    const ports = ['http', 'grpc', 'dynamodb', 'traces', 'control'].flatMap((p) => [`--${p}-port`, '0']);
    for (const value of ['false', 'no\u001b[31m']) {
      const run = await runStart(
        ['--no-web', '--in-memory', '--no-canaries', ...ports],
        plainEnv({ CANARY_HEADER_TRUSTED: value }),
      );
      expect(run.stderr).toMatch(
        /^npm start: CANARY_HEADER_TRUSTED is set in the environment: the local stack trusts the canary key .*; unset it\./,
      );
      expect(run.stderr).not.toContain(value);
      expect(run.stdout).toBe('');
      expect(run.code).toBe(2);
    }
  });

  it('refuses a version no service would start with before starting anything, naming the flag', async () => {
    // Every port free: were the check missing, the stack would start (and its services then fail).
    const ports = ['http', 'grpc', 'dynamodb', 'traces', 'control'].flatMap((p) => [`--${p}-port`, '0']);
    const quiet = ['--no-web', '--in-memory', ...ports];
    const badStable = await runStart(['--stable-version', '../../x', '--no-canaries', ...quiet]);
    expect(badStable.stderr).toBe(
      'npm start: --stable-version must be a version such as 0.4.0 or 0.4.0-pr.42+abc1234 (1-64 of 0-9 A-Z a-z . + _ -)\n',
    );
    expect(badStable.stdout).toBe('');
    expect(badStable.code).toBe(2);

    const long = '1.0.0-'.padEnd(60, 'x');
    const tooLong = await runStart(['--stable-version', long, '--canary', '42=store', ...quiet]);
    expect(tooLong.stderr).toBe(
      `npm start: PR 42's canary would run as version ${long}-pr42, over 64 characters: give it its own (42=SERVICES@VERSION) or a shorter --stable-version\n`,
    );
    expect(tooLong.stdout).toBe('');
    expect(tooLong.code).toBe(2);
  });

  it('answers an unknown option with what to type, not a stack trace', async () => {
    const run = await runStart(['--no-webb']);
    expect(run.stderr).toBe(
      'npm start: unknown option --no-webb; `npm start -- --help` lists every option\n',
    );
    expect(run.code).toBe(2);
  });

  it('never echoes a control character it was given: an option or a file name with one gets `?` in its place', async () => {
    const tree = binWithBrokenBuild();
    const cases: [string[], RegExp, number][] = [
      [['--bo\u001b[31mgus'], /^npm start: unknown option --bo\?\[31mgus; /, 2],
      [
        ['--http-port', '-1'],
        /^npm start: --http-port needs a value \(one that starts with "-" is written --http-port=<value>\); /,
        2,
      ],
      [
        ['--canaries-file', '/nonexist\u001b[31m\ny'],
        /^npm start: cannot read canaries file \/nonexist\?\[31m\?y: /,
        1,
      ],
      [['--canary', '42=api\u0007'], /^npm start: invalid --canary value: /, 2],
      [['--fault', '42:st\u001bre:latency=1s'], /^npm start: --fault: /, 2],
    ];
    for (const [args, message, code] of cases) {
      const run = await runStart(args, plainEnv(), tree.bin);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stderr.trimEnd(), args.join(' ')).not.toContain('\n');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence is the point
      expect(run.stderr, args.join(' ')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(run.code, args.join(' ')).toBe(code);
    }
    expect(tree.built()).toBe(false);
  });

  it('refuses --web-dev with --no-web, saying why', async () => {
    const run = await runStart(['--web-dev', '--no-web']);
    expect(run.stderr).toBe(
      'npm start: --web-dev runs the web UI from its dev server; it cannot go with --no-web\n',
    );
    expect(run.code).toBe(2);
  });

  it('says what to type when npm kept the options for itself (`npm start --no-web`, no `--`)', async () => {
    // What npm hands the script for `npm start --no-web --in-memory`: no argv, two npm_config_* variables.
    const run = await runStart([], plainEnv({ npm_config_web: '', npm_config_in_memory: 'true' }));
    expect(run.stderr).toBe(
      'npm start: npm kept --no-web --in-memory for itself: options for the stack go after "--", e.g. npm start -- --no-web --in-memory\n',
    );
    expect(run.stdout).toBe('');
    expect(run.code).toBe(2);
  });

  it('answers --help and refuses a bad command line before building (a broken build does not stand in the way)', async () => {
    const tree = binWithBrokenBuild();
    const help = await runStart(['--help'], plainEnv(), tree.bin);
    expect(help.stdout).toMatch(/^Usage: npm start -- \[options\]\n/);
    expect(help.stdout).toContain('--http-port N');
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);

    const typo = await runStart(['--in-memroy'], plainEnv(), tree.bin);
    expect(typo.stderr).toBe(
      'npm start: unknown option --in-memroy; `npm start -- --help` lists every option\n',
    );
    expect(typo.code).toBe(2);

    const badPort = await runStart(['--http-port', '80800'], plainEnv(), tree.bin);
    expect(badPort.stderr).toBe('npm start: --http-port must be a port number 0-65535\n');
    expect(badPort.code).toBe(2);

    const badFault = await runStart(['--fault', '42:nope:latency=1s'], plainEnv(), tree.bin);
    expect(badFault.stderr).toMatch(/^npm start: --fault: unknown service \(known: /);
    expect(badFault.code).toBe(2);
    expect(tree.built()).toBe(false);

    // A command line that can run goes on to the build: here the stand-in, whose failure is reported.
    const valid = await runStart(['--no-web', '--in-memory'], plainEnv(), tree.bin);
    expect(valid.stderr).toContain('stand-in build: broken');
    expect(valid.stderr).toContain('npm start: the build failed (above)');
    expect(valid.code).toBe(1);
    expect(tree.built()).toBe(true);
  });

  it('refuses two parts on one fixed port before building, naming both flags (0 and a part left out may repeat)', async () => {
    const tree = binWithBrokenBuild();
    const same = await runStart(['--http-port', '9080', '--grpc-port', '9080'], plainEnv(), tree.bin);
    expect(same.stderr).toBe(
      'npm start: --http-port and --grpc-port are both 9080: each part of the stack needs a port of its own\n',
    );
    expect(same.code).toBe(2);
    expect(tree.built()).toBe(false);

    // The web UI's default port is free to take when there is no web UI; 0 is a free port for each.
    const valid = await runStart(
      ['--no-web', '--http-port', '5173', '--grpc-port', '0', '--control-port', '0'],
      plainEnv(),
      tree.bin,
    );
    expect(valid.stderr).toContain('npm start: the build failed (above)');
    expect(tree.built()).toBe(true);
  });

  it('refuses options that undo each other and an instance faulted twice before building, rather than ignoring one', async () => {
    const tree = binWithBrokenBuild();
    const cases: [string[], string, number][] = [
      [
        ['--no-canaries', '--canary', '42=api'],
        '--no-canaries runs stable only; it cannot go with --canary',
        2,
      ],
      [
        ['--canary', '42=api', '--canaries-file', 'x.json'],
        "--canary runs the canaries it names instead of a file's; it cannot go with --canaries-file",
        2,
      ],
      [
        ['--in-memory', '--data-dir', '/tmp/x'],
        '--in-memory keeps DynamoDB data in memory, in no folder; it cannot go with --data-dir',
        2,
      ],
      [
        ['--fault', '42:store:latency=1ms', '--fault', '42:store-service:error-rate=0.1'],
        "--fault names pr-42's store-service twice: give it one SPEC, comma-separated (e.g. latency=100ms,error-rate=0.2)",
        2,
      ],
    ];
    for (const [args, message, code] of cases) {
      const run = await runStart(args, plainEnv(), tree.bin);
      expect(run.stderr, message).toBe(`npm start: ${message}\n`);
      expect(run.code, message).toBe(code);
    }
    expect(tree.built()).toBe(false);
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

  it('becomes ready with LOG_LEVEL=warn, and a closed terminal (SIGHUP) leaves no child behind', async () => {
    const started = await startUntilReady(STABLE_ONLY, plainEnv({ LOG_LEVEL: 'warn' }));
    expect(started.output()).not.toMatch(/(api|store) stable +│ INFO/);
    const { children } = stackProcesses(started.child);
    expect(children.length).toBeGreaterThanOrEqual(3);

    started.child.kill('SIGHUP');
    await started.exited;
    await expect.poll(() => children.filter(alive), { timeout: 20_000 }).toEqual([]);
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

  it('leaves no child behind when the stack runner is killed with SIGKILL', async () => {
    const started = await startUntilReady(STABLE_ONLY);
    const { runner, children } = stackProcesses(started.child);
    expect(children.length).toBeGreaterThanOrEqual(3);

    process.kill(runner, 'SIGKILL');
    await started.exited;
    await expect.poll(() => children.filter(alive), { timeout: 20_000 }).toEqual([]);
  });
});
