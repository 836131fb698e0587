import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LiveRoutes } from '../../src/routing/live-routes';
import { probeArgs, runCanaryCli, runCanaryInProcess, startJsonServer, startTestHttpRouter } from '../helper';

/** Shaped like api-service's GET /api/route: api on stable, store on the key's canary. */
function startRouteServer(): Promise<string> {
  return startJsonServer((req) => {
    const key = req.headers['x-canary'];
    const storeTrack = typeof key === 'string' && /^[1-9][0-9]*$/.test(key) ? `pr-${key}` : 'stable';
    return {
      canary: typeof key === 'string' ? key : null,
      warning: null,
      hops: [
        { service: 'api-service', track: 'stable', version: '0.1.0' },
        { service: 'store-service', track: storeTrack, version: '0.1.0-x' },
      ],
    };
  });
}

/** The URL of a loopback port that was just free (its listener closed): connecting is refused. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('canary CLI', () => {
  it('runs as a bin: prints the per-hop distribution and passes a true --expect', async () => {
    const url = await startRouteServer();
    const run = await runCanaryCli(probeArgs(url, { pr: '7', count: 4, expect: 'api=stable,store=pr-7' }));
    expect(run.stdout).toContain('store-service  pr-7 (0.1.0-x) 4/4');
    expect(run.code).toBe(0);
  });

  it('fails a false --expect with exit code 1', async () => {
    const url = await startRouteServer();
    const run = await runCanaryInProcess(probeArgs(url, { count: 2, expect: 'store=pr-7' }));
    expect(run.stdout).toContain('expect store-service=pr-7: FAILED (0/2)');
    expect(run.code).toBe(1);
  });

  it("says when an expected service is on no request's path (a service GET /api/route never reaches)", async () => {
    const url = await startJsonServer(() => ({
      canary: null,
      warning: null,
      hops: [{ service: 'api-service', track: 'stable', version: '0.1.0' }],
    }));
    const run = await runCanaryInProcess(probeArgs(url, { count: 2, expect: 'api=stable,store=stable' }));
    expect(run.stdout).toContain('expect api-service=stable: ok (2/2)\n');
    expect(run.stdout).toContain(
      'expect store-service=stable: FAILED (0/2): no request passed through store-service (GET /api/route reached api-service)\n',
    );
    expect(run.code).toBe(1);
  });

  it('with --skip-unreached, does not check a service off the path, and still checks those on it (as CI probes)', async () => {
    const url = await startJsonServer(() => ({
      canary: '42',
      warning: null,
      hops: [{ service: 'api-service', track: 'pr-42', version: '0.1.0' }],
    }));
    const passing = await runCanaryInProcess(
      probeArgs(url, { pr: '42', count: 2, expect: 'api=pr-42,store=stable', skipUnreached: true }),
    );
    expect(passing.stdout).toContain('expect api-service=pr-42: ok (2/2)\n');
    expect(passing.stdout).toContain(
      'expect store-service=stable: not checked (0/2): no request passed through store-service (GET /api/route reached api-service)\n',
    );
    expect(passing.code).toBe(0);
    const failing = await runCanaryInProcess(
      probeArgs(url, { pr: '42', count: 2, expect: 'api=stable,store=stable', skipUnreached: true }),
    );
    expect(failing.stdout).toContain('expect api-service=stable: FAILED (0/2)\n');
    expect(failing.code).toBe(1);
  });

  it('counts unreachable requests as failures with exit code 1', async () => {
    const run = await runCanaryInProcess(probeArgs('http://127.0.0.1:1', { count: 1, json: true }));
    // Port 1 is one fetch refuses itself: the reason says so rather than a bare "request failed".
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      succeeded: 0,
      failures: [{ count: 1, message: 'request failed (bad port)' }],
    });
    expect(run.code).toBe(1);
  });

  it('says when nothing listens at the URL: the stack is not running, or on other ports', async () => {
    const url = await closedPortUrl();
    const run = await runCanaryInProcess(probeArgs(url, { count: 2 }));
    expect(run.stdout).toContain('failed ×2: request failed (ECONNREFUSED)\n');
    expect(run.stdout).toContain(
      `nothing listens at ${url}: is the stack running (npm start), or on other ports (--url)?\n`,
    );
    expect(run.code).toBe(1);
  });

  it("answers help <command> with that command's help, and an unknown one as unknown", async () => {
    const help = await runCanaryInProcess(['help', 'probe']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: pr-canary probe /);
    expect((await runCanaryInProcess(['help', 'analyze'])).stdout).toMatch(/^Usage: pr-canary analyze /);
    expect(await runCanaryInProcess(['help', 'deploy'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^pr-canary: unknown command deploy; /),
    });
    expect((await runCanaryInProcess(['help', 'probe', 'trace'])).code).toBe(2);
  });

  it('never prints control characters from the response body, counting such a body as a failure', async () => {
    const url = await startJsonServer(() => ({
      canary: null,
      warning: 'served by stable\u001b[2J',
      hops: [{ service: 'api-service', track: 'stable\nok', version: '\u001b]0;owned\u0007' }],
    }));
    const run = await runCanaryInProcess(probeArgs(url, { count: 1 }));
    expect(run.stdout).toContain('failed ×1: HTTP 200 without a route body');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence is the point
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(run.stdout).not.toContain('stable\nok');
    expect(run.code).toBe(1);
  });

  it.each([
    [['probe', '--expect', 'web=stable'], /unknown service/],
    [['probe', '--expect', 'api=canary'], /a track is stable or pr-<N>/],
    [['probe', '--expect', 'api'], /--expect: write <service>=<track>, e\.g\. [a-z0-9-]+=pr-42/],
    [['probe', '--expect', 'api=pr-42,api-service=stable'], /--expect: api is expected twice/],
    [['probe', '-n', '0'], /--count must be a whole number/],
    [['probe', '--expect', 'api=pr-42=x'], /--expect: write <service>=<track>, e\.g\. [a-z0-9-]+=pr-42/],
    [['probe', '--url', 'ftp://x'], /--url must be http or https/],
    [
      ['probe', '--url', 'http://user:pw@127.0.0.1:8080'],
      /^pr-canary: --url must not carry credentials \(user:password@\): they would not be sent\n$/,
    ],
    [
      ['analyze', '--pr', '42', '--control', 'http://user@127.0.0.1:8090'],
      /--control must not carry credentials/,
    ],
    [
      ['deploy'],
      /^pr-canary: unknown command deploy; the commands are probe, analyze, fault, trace and traces\n$/,
    ],
    [['de\u001b[2Jploy'], /^pr-canary: unknown command de\?\[2Jploy; /],
    [['probe', '--pr', '42', '--pr', '7'], /^pr-canary: --pr is given twice: give it once\n$/],
    [['trace', '--last', '--json', '--json'], /^pr-canary: --json is given twice: give it once\n$/],
    [
      ['probe', '--url', 'http://localhost:8080/api'],
      /^pr-canary: --url is an origin, without a path \(e\.g\. http:\/\/localhost:8080\)\n$/,
    ],
    [['traces', '--wait', '5'], /^pr-canary: unknown option --wait\n$/],
    [['traces', '--last'], /^pr-canary: unknown option --last\n$/],
    [['trace', '--last', '-n', '5'], /^pr-canary: unknown option -n\n$/],
    [['trace', '--json=yes', '--last'], /^pr-canary: --json takes no value\n$/],
    [['analyze', '--pr'], /^pr-canary: --pr needs a value\n$/],
    [['probe', '-n'], /^pr-canary: --count needs a value\n$/],
    [
      ['probe', '-n', '-5'],
      /^pr-canary: --count needs a value \(one that starts with "-" is written --count=<value>\)\n$/,
    ],
    [['probe', '--help=yes'], /^pr-canary: --help takes no value\n$/],
    [['probe', "--x'y"], /^pr-canary: unknown option --x'y\n$/],
    [['trace', '--last', '--url', 'http://127.0.0.1:1/x'], /^pr-canary: --url is an origin, without a path/],
    [
      ['probe', '--pr', '42\u202e'],
      /^pr-canary: --pr must be at most \d+ characters a header value can carry/,
    ],
    [
      ['probe', '--pr', '4\u00072'],
      /^pr-canary: --pr must be at most \d+ characters a header value can carry/,
    ],
    [['analyze', '--pr', '42', '--control', 'http://example.com'], /: --control must be 127\.0\.0\.1/],
    [['fault', '--list', '--control', 'not-a-url'], /^pr-canary: --control must be an absolute http URL\n$/],
    [
      ['analyze', '--pr', '42', '--requests', '-5'],
      /^pr-canary: --requests needs a value \(one that starts with "-" is written --requests=<value>\)\n$/,
    ],
  ])('rejects %j with a usage error (exit 2)', async (args, message) => {
    const run = await runCanaryInProcess(args);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
  });

  it('says a server that answers other JSON is not a trace receiver, and prints nothing of a receiver that could drive the terminal', async () => {
    const id = 'ab'.repeat(16);
    const wrong = await startJsonServer((req) =>
      req.url?.startsWith('/api/traces/') ? { traceId: id, spans: 'x' } : {},
    );
    for (const args of [
      ['traces', '--url', wrong],
      ['trace', id, '--url', wrong, '--wait', '0'],
    ]) {
      const run = await runCanaryInProcess(args);
      expect([run.stderr, run.code], args[0]).toEqual([
        expect.stringMatching(
          new RegExp(`^pr-canary: what answers at ${wrong} is not a pr-canary trace receiver \\(.+\\)\n$`),
        ),
        1,
      ]);
    }
    const hostile = '\u001b]0;title\u0007 \u001b[2J \u202eevil';
    const span = {
      traceId: id,
      spanId: 'cd'.repeat(8),
      parentSpanId: null,
      name: `GET ${hostile}`,
      kind: 'server',
      service: `api${hostile}`,
      version: hostile,
      track: null,
      startUnixNano: '1764547200000000000',
      durationMs: 1.5,
      status: { code: 'error', message: hostile },
      attributes: { [`k${hostile}`]: hostile },
      events: [],
    };
    // A refusal naming what the receiver sent (an attribute that is no scalar) is cleaned as well.
    const refusing = await startJsonServer(() => ({
      traceId: id,
      spans: [{ ...span, attributes: { [`k${hostile}`]: {} } }],
    }));
    const refused = await runCanaryInProcess(['trace', id, '--url', refusing, '--wait', '0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not a pr-canary trace receiver');
    for (const unsafe of ['\u001b', '\u0007', '\u202e']) expect(refused.stderr).not.toContain(unsafe);
    const receiver = await startJsonServer(() => ({ traceId: id, spans: [span] }));
    const printed = await runCanaryInProcess(['trace', id, '--url', receiver, '--wait', '0']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('evil');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not reach the terminal
    expect(printed.stdout.replaceAll('\n', '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
  });

  it('answers --help with one line per command, each command’s options left to its own --help', async () => {
    const general = await runCanaryInProcess(['--help']);
    for (const command of ['probe', 'analyze', 'fault', 'trace', 'traces'])
      expect(general.stdout).toMatch(new RegExp(`\\n  ${command} +\\S`));
    expect(general.stdout).not.toContain('Usage: pr-canary probe');
  });

  it('answers trace --help and traces --help with their own usage, each naming every option it takes', async () => {
    const general = await runCanaryInProcess(['--help']);
    const trace = await runCanaryInProcess(['trace', '--help']);
    const traces = await runCanaryInProcess(['traces', '-h']);
    expect(trace.stdout).toMatch(
      /^Usage: pr-canary trace <TRACE-ID \| --last> \[--url URL\] \[--wait MS\] \[--timeout MS\] \[--json\]\n/,
    );
    expect(traces.stdout).toMatch(
      /^Usage: pr-canary traces \[-n COUNT\] \[--url URL\] \[--timeout MS\] \[--json\]\n/,
    );
    for (const [run, flags] of [
      [trace, ['--last', '--wait', '--url', '--timeout', '--json']],
      [traces, ['--count', '--url', '--timeout', '--json']],
    ] as const) {
      expect(run.code).toBe(0);
      expect(run.stdout).not.toBe(general.stdout);
      for (const flag of flags) expect(run.stdout).toMatch(new RegExp(`\\n  (-n, )?${flag} `));
    }
  });

  it('answers an unknown option typed with control characters in one line, never echoing them (the real bin)', async () => {
    for (const command of ['probe', 'fault']) {
      const run = await runCanaryCli([command, '--x\u001b[2J\u0007y']);
      expect(run.stderr).toMatch(/^pr-canary: unknown option --x\?\[2J\?y\n$/);
      expect(run.stderr.trimEnd()).not.toContain('\n');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence is the point
      expect(run.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
      expect(run.code).toBe(2);
    }
  });
});

describe('canary CLI against the dev router with no api running', () => {
  it("reports the router's error code and its not-running message for each failed request", async () => {
    const routes = new LiveRoutes();
    routes.declare('api-service', 'stable');
    routes.declare('api-service', 'pr-42');
    routes.update('api-service', 'pr-42', { state: 'restarting', restarts: 3 });
    const router = await startTestHttpRouter(routes);
    const url = `http://127.0.0.1:${router.port}`;
    const stable = await runCanaryInProcess(probeArgs(url, { count: 2 }));
    expect(stable.stdout).toContain(
      'failed ×2: HTTP 503 UNAVAILABLE: stable api-service is not running (starting)',
    );
    expect(stable.code).toBe(1);
    const canary = await runCanaryInProcess(probeArgs(url, { pr: '42', count: 1 }));
    expect(canary.stdout).toContain(
      "failed ×1: HTTP 503 UNAVAILABLE: PR 42's api-service canary is declared but not running (restarting, 3 restarts so far)",
    );
  });
});
