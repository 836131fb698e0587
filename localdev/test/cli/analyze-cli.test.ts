import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NOT_JUDGED_EXIT_CODE } from '@pr-canary/canary-analysis';
import { parseFaultTarget } from '@pr-canary/canary-context/faults';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PATH_SERVICES } from '../../src/analyze/path';
import { FAULT_HELP } from '../../src/cli/analyze-command';
import { LiveRoutes } from '../../src/routing/live-routes';
import { type ControlInstance, startControlServer } from '../../src/stack/control-server';
import { runCanaryCli, runCanaryInProcess, startJsonServer, startTestHttpRouter } from '../helper';

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'analyze-cli-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const instance = (service: string, track: string): ControlInstance => ({
  service,
  track,
  version: '1',
  state: 'running',
  port: null,
  metricsPort: null,
});

/** The stack's real control endpoint, listing stable and PR 42's instances. */
async function control(): Promise<string> {
  const instances = [
    instance('api-service', 'stable'),
    instance('store-service', 'stable'),
    instance('store-service', 'pr-42'),
  ];
  const server = await startControlServer({
    host: '127.0.0.1',
    port: 0,
    corsOrigins: () => [],
    target: {
      apiUrl: () => 'http://127.0.0.1:1',
      instances: () => instances,
      setFaults: async () => 'none',
    },
  });
  onTestFinished(() => server.close());
  return server.url;
}

/** `analyze --pr 42` of a PR with a store canary, from the Prometheus at `url`, with `more` flags. */
function judgeStoreFrom(url: string, ...more: string[]): string[] {
  return ['analyze', '--pr', '42', '--prometheus', url, '--canaries', 'store', ...more];
}

describe('pr-canary analyze: bad arguments and absent peers get a sentence, never a stack trace', () => {
  it('refuses a --json or --markdown file it cannot write before any load, through the real bin', async () => {
    const dir = await tempDir();
    const readOnly = path.join(dir, 'ro');
    await mkdir(readOnly);
    await chmod(readOnly, 0o500);
    const cases: [string, string, RegExp][] = [
      ['--json', path.join(dir, 'missing', 'v.json'), /no such folder/],
      ['--markdown', dir, /it is a folder/],
      // A folder where no file can be made, even by root (access() says yes there).
      ['--json', '/proc/verdict.json', /not writable/],
    ];
    // root may write anywhere: the read-only folder only counts when this test does not run as root.
    if (process.getuid?.() !== 0) cases.push(['--json', path.join(readOnly, 'v.json'), /not writable/]);
    for (const [flag, file, reason] of cases) {
      // No control endpoint at this port: the check must come first, or the error would be that one.
      const run = await runCanaryCli([
        'analyze',
        '--pr',
        '42',
        flag,
        file,
        '--control',
        'http://127.0.0.1:1',
      ]);
      expect(run.stderr).toMatch(
        new RegExp(`^pr-canary: ${flag}: cannot write ".*" \\(${reason.source}\\)\\n$`),
      );
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.code).toBe(2);
    }
    expect(await readdir(dir)).toEqual(['ro']);
  });

  it('says a file it could not write after judging, and still exits with the verdict (a FAIL must stay 1)', async () => {
    const dir = await tempDir();
    const folder = path.join(dir, 'gone');
    await mkdir(folder);
    // The folder is there when the flags are checked and gone by the time the verdict is written.
    const prometheus = await startJsonServer(() => {
      rmSync(folder, { recursive: true, force: true });
      return { status: 'success', data: { resultType: 'vector', result: [] } };
    });
    const file = path.join(folder, 'verdict.md');
    const run = await runCanaryInProcess(judgeStoreFrom(prometheus, '--markdown', file));
    expect(run.stdout).toMatch(/CANNOT TELL|Cannot tell/);
    expect(run.stderr).toBe(
      `pr-canary: --markdown: could not write ${JSON.stringify(file)} (no such folder); the verdict above stands\n`,
    );
    expect(run.code).toBe(3);
  });

  it('from Prometheus, leaves out a service no traffic reached and says why a canary nobody called cannot be judged', async () => {
    // A Prometheus whose every query finds nothing: no calls to api-service or store-service in the window.
    const prometheus = await startJsonServer(() => ({
      status: 'success',
      data: { resultType: 'vector', result: [] },
    }));
    const args = judgeStoreFrom(prometheus, '--json', '-');
    const run = await runCanaryInProcess(args);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(3);
    const verdict = JSON.parse(run.stdout) as { summary: string; hops: { hop: string }[] };
    expect(verdict.hops.map((h) => h.hop)).toEqual(['store-service']);
    // Every other service of the path is named as not judged: api-service, and any added since.
    const notJudged = PATH_SERVICES.map((service) => service.name).filter((name) => name !== 'store-service');
    expect(notJudged[0]).toBe('api-service');
    expect(verdict.summary).toBe(
      `Cannot tell whether PR 42 is worse than stable: its store-service canary got no calls — the traffic of the last 30m did not reach it, so more of it would not help; send it requests with X-Canary: 42 (not judged: ${notJudged.join(' and ')}, which the traffic of the last 30m did not reach on either side)`,
    );
  });

  it('says that nothing answers at --prometheus, and that a server there is not Prometheus (exit 4: not judged)', async () => {
    const port = await closedPort();
    const refused = await runCanaryInProcess(judgeStoreFrom(`http://127.0.0.1:${port}`));
    expect(refused.stderr).toBe(
      `pr-canary: no Prometheus answers at http://127.0.0.1:${port} (ECONNREFUSED); --prometheus points elsewhere?\n`,
    );
    expect(refused.code).toBe(NOT_JUDGED_EXIT_CODE);

    const notPrometheus = await startJsonServer(() => ({ code: 'ROUTE_NOT_FOUND' }), 404);
    const wrong = await runCanaryInProcess(judgeStoreFrom(notPrometheus));
    expect(wrong.stderr).toBe(`pr-canary: ${notPrometheus} did not answer a Prometheus query: HTTP 404\n`);
    expect(wrong.code).toBe(NOT_JUDGED_EXIT_CODE);

    // Prometheus' own refusal is passed on, cleaned of anything that could drive a terminal.
    const refusing = await startJsonServer(
      () => ({ status: 'error', error: 'parse error\u001b[2J\nat char 3' }),
      400,
    );
    const refusal = await runCanaryInProcess(judgeStoreFrom(refusing));
    expect(refusal.stderr).toBe(
      `pr-canary: ${refusing} did not answer a Prometheus query: parse error?[2J?at char 3\n`,
    );
    expect(refusal.code).toBe(NOT_JUDGED_EXIT_CODE);
  });

  it('checks every flag before asking anyone: a bad value, a flag of the other way of judging, a flag twice (exit 2)', async () => {
    // Nothing answers at either address: a check that came after the first request would say so instead.
    const nobody = `http://127.0.0.1:${await closedPort()}`;
    const local = ['analyze', '--pr', '42', '--control', nobody];
    const prometheus = ['analyze', '--pr', '42', '--prometheus', nobody];
    const cases: [string[], string][] = [
      [[...local, '--requests', 'abc'], '--requests must be a whole number 20-5000'],
      [[...local, '--requests', '1'], '--requests must be a whole number 20-5000'],
      [[...local, '--concurrency', '0'], '--concurrency must be a whole number 1-64'],
      [[...local, '--window', 'xyz'], '--window applies only with --prometheus'],
      [[...local, '--canaries', 'store'], '--canaries applies only with --prometheus'],
      [[...prometheus, '--window', 'xyz'], '--window: the window must be a duration such as 30m, 2h or 900s'],
      [
        ['analyze', '--pr', '42', '--prometheus', 'ftp://127.0.0.1:9090'],
        '--prometheus must be an http(s) URL',
      ],
      [['analyze', '--pr', '42', '--prometheus', 'prometheus:9090'], '--prometheus must be an http(s) URL'],
      [
        [...prometheus, '--canaries', 'nosuch'],
        expect.stringMatching(/^unknown service/) as unknown as string,
      ],
      [
        [...prometheus, '--requests', '300'],
        '--requests applies to the local stack only, not with --prometheus',
      ],
      [[...local, '--pr', '7'], '--pr is given twice: give it once'],
      [
        ['analyze', '--pr', '42', '--control', 'http://127.0.0.1:1/x'],
        '--control is an origin, without a path (e.g. http://127.0.0.1:1)',
      ],
      [
        [...local, '--json', '-', '--markdown', '-'],
        '--json - and --markdown - both want stdout: write one of them to a FILE',
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runCanaryInProcess(args);
      const said = run.stderr.replace(/^pr-canary: /, '').trimEnd();
      expect([said, run.code], args.join(' ')).toEqual([message, 2]);
    }
  });

  it('writes the markdown verdict to stdout for --markdown - (no file named -)', async () => {
    const prometheus = await startJsonServer(() => ({
      status: 'success',
      data: { resultType: 'vector', result: [] },
    }));
    const dash = path.resolve('-');
    onTestFinished(() => rm(dash, { force: true }));
    const run = await runCanaryInProcess(judgeStoreFrom(prometheus, '--markdown', '-'));
    expect(run.stderr).toBe('');
    // The markdown (the PR comment's verdict table), not the text verdict.
    expect(run.stdout).toMatch(/^\*\*Verdict:\*\* ❔ CANNOT TELL — /);
    expect(run.stdout).toMatch(/\n\|.*\|\n/);
    expect(existsSync(dash)).toBe(false);
    expect(run.code).toBe(3);
  });

  it('refuses to judge a PR the local stack runs no canary of, naming the ones it runs', async () => {
    const url = await control();
    const run = await runCanaryInProcess(['analyze', '--pr', '99', '--control', url]);
    expect(run.stderr).toBe(
      'pr-canary: this stack runs no canary of PR 99, so there is nothing to compare with stable (its canaries: pr-42)\n',
    );
    expect(run.code).toBe(2);
  });
});

describe('pr-canary fault: a refusal is the control endpoint’s only when it came from it', () => {
  it('says the same as fault --list and analyze when --control points at the dev router or the api (exit 1; analyze 4: not judged)', async () => {
    const router = await startTestHttpRouter(new LiveRoutes());
    // What api-service answers a path it has no route for (the reviewer's `--control http://127.0.0.1:8080`).
    const api = await startJsonServer(
      () => ({
        statusCode: 404,
        error: 'Not Found',
        code: 'NOT_FOUND',
        message: 'no route matches this method and path',
      }),
      404,
    );
    for (const [url, status] of [
      [`http://127.0.0.1:${router.port}`, 503],
      [api, 404],
    ] as const) {
      for (const args of [
        ['fault', '42:store:none', '--control', url],
        ['fault', '--list', '--control', url],
        ['analyze', '--pr', '42', '--control', url],
      ]) {
        const run = await runCanaryInProcess(args);
        expect([run.stderr, run.code], args.join(' ')).toEqual([
          `pr-canary: the stack's control endpoint answered HTTP ${status}\n`,
          args[0] === 'analyze' ? NOT_JUDGED_EXIT_CODE : 1,
        ]);
      }
    }
  });

  it('says a server answering 200 with something else is not a control endpoint, never a stack trace (exit 1; analyze 4)', async () => {
    const hostileTrack = {
      service: 'store-service',
      track: 'pr-7\u001b]0;x\u0007',
      metricsPort: 1,
      state: 'running',
    };
    for (const body of [
      {},
      42,
      '[]',
      'not json',
      { instances: 'x' },
      { apiUrl: 1, instances: [{}] },
      { apiUrl: 'http://127.0.0.1:1', instances: [hostileTrack] },
    ]) {
      const url = await startJsonServer(() => body);
      for (const args of [
        ['fault', '--list', '--control', url],
        ['analyze', '--pr', '42', '--control', url, '--requests', '20'],
      ]) {
        const run = await runCanaryInProcess(args);
        expect([run.stderr, run.code], `${args[0]} ${JSON.stringify(body)}`).toEqual([
          `pr-canary: what answers at ${url}/${args[0] === 'fault' ? 'faults' : 'instances'} is not a pr-canary stack's control endpoint\n`,
          args[0] === 'analyze' ? NOT_JUDGED_EXIT_CODE : 1,
        ]);
      }
    }
  });

  it('lists faults without passing on what could drive the terminal', async () => {
    const url = await startJsonServer(() => ({
      instances: [
        { service: '\u001b[31mx', track: 'pr-1\u001b[2J', faults: '\u001b]0;title\u0007 \u202eevil' },
      ],
    }));
    const run = await runCanaryInProcess(['fault', '--list', '--control', url]);
    expect(run.code).toBe(0);
    for (const unsafe of ['\u001b', '\u0007', '\u202e']) expect(run.stdout).not.toContain(unsafe);
    expect(run.stdout).toContain('?[31mx');
  });

  it('passes on what the real control endpoint refuses as a usage error: an instance it does not run, a bad spec', async () => {
    const url = await control();
    const unknown = await runCanaryInProcess(['fault', '7:store:none', '--control', url]);
    expect([unknown.stderr, unknown.code]).toEqual([
      'pr-canary: this stack runs no store-service on pr-7\n',
      2,
    ]);
    const bad = await runCanaryInProcess(['fault', '42:store:latency=1s', '--control', url]);
    expect([bad.stdout, bad.code]).toEqual(['store-service pr-42: none\n', 0]);
  });
});

/** The arguments `sh` makes of one command line (quotes, and a trailing # comment, as a shell does). */
function shellWords(line: string): string[] {
  const out = execFileSync('sh', ['-c', `set -- ${line}\nprintf '%s\\0' "$@"`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('the documented `pr-canary fault` lines work when pasted into a shell', () => {
  it('every one, in the READMEs and in fault --help, is one fault the parser accepts', async () => {
    const docs = await Promise.all(
      ['../README.md', '../../README.md'].map((file) =>
        readFile(path.resolve(__dirname, '..', file), 'utf8'),
      ),
    );
    const lines = [...docs, FAULT_HELP]
      .flatMap((text) => text.split('\n'))
      .map((line) => line.trim())
      .filter((line) => /^(npx )?pr-canary fault [^-]/.test(line));
    expect(lines.length).toBeGreaterThanOrEqual(10);
    for (const line of lines) {
      const words = shellWords(line.replace(/^npx /, '').replace(/ {2,}.*$/, ''));
      expect(words.length, line).toBe(3);
      expect(() => parseFaultTarget(words[2] as string), line).not.toThrow();
    }
  });
});
