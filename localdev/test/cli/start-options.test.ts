/**
 * What `npm start` answers a command line before it builds anything (answerStartCommand, which the
 * bin's check prints): every refusal's words and exit code, `--help`, and what a runnable command line
 * builds. In-process: start.test.ts proves through the real bin that this answer is what the user sees,
 * before any build, and that the runner refuses what only it can check (a port taken).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { answerStartCommand } from '../../src/cli/start-options';

/** The answer to `npm start -- <args>` from a shell whose environment has only `env`. */
function answer(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return answerStartCommand(args, env);
}

describe("npm start's answer before it builds", () => {
  it('answers --help with the usage, and nothing to build', () => {
    const help = answer(['--help']);
    expect(help.stdout).toMatch(/^Usage: npm start -- \[options\]\n/);
    expect(help.stdout).toContain('--http-port N');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.plan).toBeUndefined();
  });

  it('hands back what to build for a command line that can run: the web UI only when it is served from its build', () => {
    expect(answer([])).toEqual({ code: 0, stdout: '', stderr: '', plan: { buildWeb: true } });
    expect(answer(['--no-web', '--in-memory']).plan).toEqual({ buildWeb: false });
    expect(answer(['--web-dev']).plan).toEqual({ buildWeb: false });
  });

  it('answers an unknown option with what to type, not a stack trace', () => {
    for (const option of ['--no-webb', '--in-memroy'])
      expect(answer([option])).toEqual({
        code: 2,
        stdout: '',
        stderr: `npm start: unknown option ${option}; \`npm start -- --help\` lists every option\n`,
      });
  });

  it('refuses an option of one value given twice (the last would win unsaid); list options repeat', () => {
    for (const args of [
      ['--http-port', '18080', '--http-port', '18090'],
      ['--stable-version', '1.0.0', '--stable-version', '2.0.0'],
      ['--in-memory', '--in-memory'],
    ])
      expect(answer(args)).toMatchObject({
        code: 2,
        stderr: `npm start: ${args[0]} is given twice: give it once\n`,
      });
    expect(answer(['--canary', '42=api', '--canary', '7=store', '--no-web', '--in-memory']).code).toBe(0);
  });

  it('refuses a bad port, a fault on an unknown service, and a malformed --canary, naming the rule', () => {
    for (const port of ['80800', '08080', '-0', '1e3', '0x50'])
      expect(answer([`--http-port=${port}`])).toMatchObject({
        code: 2,
        stderr: 'npm start: --http-port must be a port number 0-65535\n',
      });
    const badFault = answer(['--fault', '42:nope:latency=1s']);
    expect(badFault.stderr).toMatch(/^npm start: --fault: unknown service \(known: /);
    expect(badFault.code).toBe(2);
    const badCanary = answer(['--canary', '042=api', '--no-web', '--in-memory']);
    expect(badCanary.stderr).toContain(
      'invalid --canary value: pr: a PR number is 1-999999999 without leading zeros',
    );
    expect(badCanary.code).toBe(2);
  });

  it('refuses a --data-dir that is empty or a file', () => {
    const quiet = ['--no-web', '--no-canaries'];
    expect(answer(['--data-dir', '', ...quiet])).toMatchObject({
      code: 2,
      stderr: 'npm start: --data-dir must name a folder (or use --in-memory)\n',
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pr-canary-data-')), 'not-a-folder');
    writeFileSync(file, '');
    onTestFinished(() => rmSync(path.dirname(file), { recursive: true, force: true }));
    expect(answer(['--data-dir', file, ...quiet])).toMatchObject({
      code: 2,
      stderr: 'npm start: --data-dir names a file, not a folder\n',
    });
  });

  it('refuses CANARY_HEADER_TRUSTED in its environment, naming it but not its value', () => {
    for (const value of ['false', 'no\u001b[31m']) {
      const refused = answer(['--no-web', '--in-memory', '--no-canaries'], { CANARY_HEADER_TRUSTED: value });
      expect(refused.stderr).toMatch(
        /^npm start: CANARY_HEADER_TRUSTED is set in the environment: the local stack trusts the canary key .*; unset it\./,
      );
      expect(refused.stderr).not.toContain(value);
      expect(refused).toMatchObject({ code: 2, stdout: '' });
    }
  });

  it('refuses a LOG_LEVEL no service would start with before anything starts, naming it but not its value', () => {
    for (const value of ['loud', 'DEBUG', 'info\u001b[31m']) {
      const refused = answer(['--no-web', '--in-memory', '--no-canaries'], { LOG_LEVEL: value });
      expect(refused).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'npm start: LOG_LEVEL is not a log level: every service would refuse it; set one of fatal, error, warn, info, debug, trace, silent (lower case), or unset it\n',
      });
    }
    for (const value of ['warn', '']) {
      expect(answer(['--no-web', '--in-memory', '--no-canaries'], { LOG_LEVEL: value }).code).toBe(0);
    }
  });

  it('refuses an OTLP endpoint that is not a URL, naming the variable but not its value', () => {
    for (const variable of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
      const refused = answer(['--no-web', '--in-memory', '--no-canaries'], {
        [variable]: 'notaurl\u001b[31m',
      });
      expect(refused.stderr).toBe(
        `npm start: ${variable} is not an http(s) URL: every service would send its spans to the OTLP default, http://localhost:4318 (perhaps another stack's trace receiver); set a URL such as http://localhost:14318, or unset it\n`,
      );
      expect(refused).toMatchObject({ code: 2, stdout: '' });
    }
    expect(
      answer(['--no-web', '--in-memory', '--no-canaries'], {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:14318',
      }).code,
    ).toBe(0);
  });

  it('refuses a version no service would start with, naming the flag', () => {
    expect(answer(['--stable-version', '../../x', '--no-canaries', '--no-web', '--in-memory'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'npm start: --stable-version must be a version such as 0.4.0 or 0.4.0-pr.42+abc1234 (1-64 of 0-9 A-Z a-z . + _ -)\n',
    });
    const long = '1.0.0-'.padEnd(60, 'x');
    expect(answer(['--stable-version', long, '--canary', '42=store', '--no-web', '--in-memory'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `npm start: PR 42's canary would run as version ${long}-pr42, over 64 characters: give it its own (42=SERVICES@VERSION) or a shorter --stable-version\n`,
    });
  });

  it('never echoes a control character it was given: an option or a file name with one gets `?` in its place', () => {
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
      const refused = answer(args);
      expect(refused.stderr, args.join(' ')).toMatch(message);
      expect(refused.stderr.trimEnd(), args.join(' ')).not.toContain('\n');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence is the point
      expect(refused.stderr, args.join(' ')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(refused.code, args.join(' ')).toBe(code);
    }
  });

  it('says what to type when npm kept the options for itself (`npm start --no-web`, no `--`)', () => {
    // What npm hands the script for `npm start --no-web --in-memory`: no argv, two npm_config_* variables.
    expect(answer([], { npm_config_web: '', npm_config_in_memory: 'true' })).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'npm start: npm kept --no-web --in-memory for itself: options for the stack go after "--", e.g. npm start -- --no-web --in-memory\n',
    });
  });

  it('refuses two parts on one fixed port, naming both flags (0 and a part left out may repeat)', () => {
    expect(answer(['--http-port', '9080', '--grpc-port', '9080'])).toMatchObject({
      code: 2,
      stderr:
        'npm start: --http-port and --grpc-port are both 9080: each part of the stack needs a port of its own\n',
    });
    // The web UI's default port is free to take when there is no web UI; 0 is a free port for each.
    expect(
      answer(['--no-web', '--http-port', '5173', '--grpc-port', '0', '--control-port', '0']).plan,
    ).toEqual({ buildWeb: false });
  });

  it('refuses a --fault on an instance the stack will not run, naming what it runs', () => {
    expect(answer(['--canary', '42=api', '--fault', '99:store:latency=5ms'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'npm start: --fault names store-service on pr-99, which this stack does not run (canaries from --canary: PR 42: api-service)\n',
    });
    expect(answer(['--canary', '42=api', '--fault', '42:store:latency=5ms']).code).toBe(2);
    expect(answer(['--no-canaries', '--fault', '42:api:latency=5ms']).stderr).toBe(
      'npm start: --fault names api-service on pr-42, which this stack does not run (canaries from --no-canaries: none)\n',
    );
    // Stable always runs; a PR's instance where its canaries run it.
    expect(answer(['--no-canaries', '--no-web', '--fault', 'stable:store:latency=5ms']).plan).toEqual({
      buildWeb: false,
    });
    expect(answer(['--canary', '42=api,store', '--no-web', '--fault', '42:store:latency=5ms']).plan).toEqual({
      buildWeb: false,
    });
  });

  it('refuses options that undo each other and an instance faulted twice, rather than ignoring one', () => {
    const cases: [string[], string][] = [
      [
        ['--web-dev', '--no-web'],
        '--web-dev runs the web UI from its dev server; it cannot go with --no-web',
      ],
      [['--no-canaries', '--canary', '42=api'], '--no-canaries runs stable only; it cannot go with --canary'],
      [
        ['--canary', '42=api', '--canaries-file', 'x.json'],
        "--canary runs the canaries it names instead of a file's; it cannot go with --canaries-file",
      ],
      [
        ['--in-memory', '--data-dir', '/tmp/x'],
        '--in-memory keeps DynamoDB data in memory, in no folder; it cannot go with --data-dir',
      ],
      [
        ['--fault', '42:store:latency=1ms', '--fault', '42:store-service:error-rate=0.1'],
        "--fault names pr-42's store-service twice: give it one SPEC, comma-separated (e.g. latency=100ms,error-rate=0.2)",
      ],
    ];
    for (const [args, message] of cases)
      expect(answer(args), message).toEqual({ code: 2, stdout: '', stderr: `npm start: ${message}\n` });
  });
});
