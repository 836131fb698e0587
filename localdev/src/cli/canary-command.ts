/** The `pr-canary` command: parses arguments, runs it, writes to the given streams, returns the exit code. */

import { NOT_JUDGED_EXIT_CODE } from '@pr-canary/canary-analysis';
import { LOCAL_API_URL } from '@pr-canary/contracts/local-stack';
import { nodeServices } from '@pr-canary/contracts/services';
import { formatDuration, formatWaterfallText, TRACE_ID_PATTERN } from '@pr-canary/traces/model';
import { AnalyzeError } from '../analyze/analyze';
import { formatProbe, ProbeUsageError, parseExpectation, probe } from '../probe/probe';
import {
  DEFAULT_TRACES_URL,
  fetchTrace,
  listTraces,
  type TraceLookup,
  TraceLookupError,
} from '../trace/trace-client';
import { originOf } from '../url-option';
import { isCliUsageError, runAnalyze, runFault } from './analyze-command';
import {
  answeredHelp,
  HELP_OPTION,
  parseArgsUsageError,
  parseCommandArgs,
  terminalLine,
  terminalText,
  wholeNumber,
} from './args';

/** `api=pr-42,store=stable`: the registry's first two services, the first on PR 42, the second stable. */
const EXPECT_EXAMPLE = nodeServices()
  .slice(0, 2)
  .map((service, index) => `${service.short}=${index === 0 ? 'pr-42' : 'stable'}`)
  .join(',');

const PROBE_HELP = `Usage: pr-canary probe [--url URL] [--pr N] [-n COUNT] [--expect ${EXPECT_EXAMPLE}] [--skip-unreached] [--timeout MS] [--json]

Sends COUNT requests to URL/api/route (with X-Canary: N when --pr is given) and prints where each hop
landed: track and version per service, warnings (an invalid key is served by stable with a warning) and
failed requests.

  --url URL        the edge, an origin without a path (default ${LOCAL_API_URL}, the dev router)
  --pr N           value of X-Canary; sent as is, so invalid keys can be probed too
  -n, --count N    number of requests (default 10, at most 1000)
  --expect LIST    expected track per hop (a service's short name), e.g. ${EXPECT_EXAMPLE}
  --skip-unreached an expected service no request passed through is "not checked" instead of FAILED
                   (GET /api/route reaches the edge service and what it calls; CI expects every
                   canary service)
  --timeout MS     per-request timeout (default 5000)
  --json           machine-readable result on stdout

Exit code: 0 when every request succeeded and every checked --expect held; 1 otherwise; 2 for usage
errors (an unknown flag, a flag given twice).`;

const TRACE_OPTIONS = `  --url URL        the trace receiver, an origin without a path (default ${DEFAULT_TRACES_URL})
  --timeout MS     per-request timeout (default 5000)
  --json           as JSON`;

const TRACE_HELP = `Usage: pr-canary trace <TRACE-ID | --last> [--url URL] [--wait MS] [--timeout MS] [--json]

Prints a trace's waterfall from the local trace receiver (npm start runs it): one line per span with
service, track, version, a bar, duration, status (errors marked ✗) and the canary attributes.
TRACE-ID is a response's X-Trace-Id (also in every log line as trace_id); --last takes the newest.

  --last           the newest trace instead of a TRACE-ID
  --wait MS        wait this long for spans still arriving (default 3000)
${TRACE_OPTIONS}

Exit code: 0 found; 1 not found or the receiver is unreachable; 2 for usage errors.`;

const TRACES_HELP = `Usage: pr-canary traces [-n COUNT] [--url URL] [--timeout MS] [--json]

Lists the newest traces of the local trace receiver (npm start runs it), newest first: trace id,
duration, spans, root span, X-Canary and errors. pr-canary trace <TRACE-ID> prints one.

  -n, --count N    traces to list (default 20, at most 300)
${TRACE_OPTIONS}

Exit code: 0 listed; 1 the receiver is unreachable; 2 for usage errors.`;

const HELP = `Usage: pr-canary <command> [options]    (pr-canary help <command>, or <command> --help, for each)

  probe     where X-Canary N lands at every hop (any stack, local or a cluster)
  analyze   PR N against stable at every hop: errors and latency, with a verdict (CI exit codes)
  fault     make one instance of the local stack misbehave on purpose (errors, latency, a failing call)
  trace     a request's waterfall from the local trace receiver
  traces    the newest traces the local trace receiver keeps`;

const MAX_KEY_LENGTH = 256;

export interface CommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export async function runCanaryCommand(argv: readonly string[], out: CommandOutput): Promise<number> {
  try {
    return await run(argv, out);
  } catch (error) {
    // Every message may carry what a server answered (a track, a state, a refusal): one terminal line.
    if (error instanceof TraceLookupError) {
      out.stderr(`pr-canary: ${terminalText(error.message)}\n`);
      return 1;
    }
    const parseArgsError = parseArgsUsageError(error);
    const usage = error instanceof ProbeUsageError || isCliUsageError(error) || parseArgsError !== undefined;
    // A usage error or a stack that is not there is said in a sentence; anything else is a bug: its stack.
    const said = usage || error instanceof AnalyzeError;
    const text = !said
      ? terminalText(String((error as Error)?.stack ?? error))
      : terminalText(parseArgsError?.message ?? (error as Error)?.message ?? '');
    out.stderr(`pr-canary: ${text}\n`);
    if (usage) return 2;
    // analyze's own code for "nothing was judged", which CI must not read as the FAIL verdict's 1.
    return argv[0] === 'analyze' && error instanceof AnalyzeError ? NOT_JUDGED_EXIT_CODE : 1;
  }
}

async function run(argv: readonly string[], out: CommandOutput): Promise<number> {
  const [command, ...rest] = argv;
  // `pr-canary help probe` is `pr-canary probe --help` (an unknown command is said as such).
  if (command === 'help' && rest.length > 0) {
    if (rest.length > 1) throw new ProbeUsageError('help takes one command, e.g. pr-canary help probe');
    return run([rest[0] as string, '--help'], out);
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out.stdout(`${HELP}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === 'trace' || command === 'traces') return runTrace(command, rest, out);
  if (command === 'analyze') return runAnalyze(rest, out);
  if (command === 'fault') return runFault(rest, out);
  if (command !== 'probe')
    throw new ProbeUsageError(
      terminalLine(`unknown command ${command}; the commands are probe, analyze, fault, trace and traces`),
    );
  const { values } = parseCommandArgs({
    args: rest,
    options: {
      url: { type: 'string', default: LOCAL_API_URL },
      pr: { type: 'string' },
      count: { type: 'string', short: 'n', default: '10' },
      expect: { type: 'string' },
      'skip-unreached': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '5000' },
      json: { type: 'boolean', default: false },
      ...HELP_OPTION,
    },
  });
  if (answeredHelp(values, PROBE_HELP, out)) return 0;
  const result = await probe({
    url: parseUrl(values.url),
    key: parseKey(values.pr),
    count: wholeNumber(values.count, '--count', 1, 1_000),
    timeoutMs: wholeNumber(values.timeout, '--timeout', 1, 600_000),
    expect: values.expect === undefined ? undefined : parseExpectation(values.expect),
    skipUnreached: values['skip-unreached'],
  });
  out.stdout(`${values.json ? JSON.stringify(result, null, 2) : formatProbe(result)}\n`);
  return result.ok ? 0 : 1;
}

/** What trace and traces both take; each refuses the other's own options (parseArgs: unknown option). */
const TRACE_RECEIVER_OPTIONS = {
  url: { type: 'string', default: DEFAULT_TRACES_URL },
  timeout: { type: 'string', default: '5000' },
  json: { type: 'boolean', default: false },
  ...HELP_OPTION,
} as const;

function traceLookup(values: { url: string; timeout: string }, waitMs: number): TraceLookup {
  return {
    url: parseUrl(values.url),
    timeoutMs: wholeNumber(values.timeout, '--timeout', 1, 600_000),
    waitMs,
  };
}

async function runTrace(command: 'trace' | 'traces', argv: readonly string[], out: CommandOutput) {
  if (command === 'traces') {
    const { values } = parseCommandArgs({
      args: [...argv],
      options: { ...TRACE_RECEIVER_OPTIONS, count: { type: 'string', short: 'n', default: '20' } },
    });
    if (answeredHelp(values, TRACES_HELP, out)) return 0;
    const lookup = traceLookup(values, 0);
    const traces = await listTraces(lookup, wholeNumber(values.count, '--count', 1, 300));
    out.stdout(`${values.json ? JSON.stringify(traces, null, 2) : formatTraceList(traces)}\n`);
    return 0;
  }
  const { values, positionals } = parseCommandArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...TRACE_RECEIVER_OPTIONS,
      last: { type: 'boolean', default: false },
      wait: { type: 'string', default: '3000' },
    },
  });
  if (answeredHelp(values, TRACE_HELP, out)) return 0;
  const lookup = traceLookup(values, wholeNumber(values.wait, '--wait', 0, 600_000));
  if (positionals.length + (values.last ? 1 : 0) !== 1)
    throw new ProbeUsageError('trace takes one trace id, or --last');
  const given = positionals[0]?.trim().toLowerCase();
  if (given !== undefined && !TRACE_ID_PATTERN.test(given))
    throw new ProbeUsageError('a trace id is 32 hexadecimal digits (the X-Trace-Id response header)');
  const traceId = values.last ? (await listTraces(lookup, 1))[0]?.traceId : given;
  if (traceId === undefined) throw new TraceLookupError(`no traces at ${lookup.url} yet`);
  const trace = await fetchTrace(lookup, traceId);
  out.stdout(`${values.json ? JSON.stringify(trace, null, 2) : formatWaterfallText(trace)}\n`);
  return 0;
}

function formatTraceList(traces: Awaited<ReturnType<typeof listTraces>>): string {
  if (traces.length === 0) return 'no traces yet';
  return traces
    .map((trace) => {
      const root = trace.root
        ? `${trace.root.service} ${trace.root.track ?? ''} ${trace.root.name}`
        : '(root not arrived)';
      const key = trace.canaryKey && trace.canaryKey !== 'absent' ? `  X-Canary ${trace.canaryKey}` : '';
      const errors = trace.errorCount > 0 ? `  ${trace.errorCount} error(s) ✗` : '';
      return `${trace.traceId}  ${formatDuration(trace.durationMs).padStart(9)}  ${String(trace.spanCount).padStart(3)} ${trace.spanCount === 1 ? 'span ' : 'spans'}  ${root.replace(/ +/g, ' ')}${key}${errors}`;
    })
    .join('\n');
}

/** The origin `--url` names: the paths asked are fixed (/api/route, the receiver's /api/traces). */
function parseUrl(value: string): string {
  const parsed = originOf(value, '--url', ['http:', 'https:']);
  if ('problem' in parsed) throw new ProbeUsageError(parsed.problem);
  return parsed.origin;
}

function parseKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // What a header value can carry (HTTP sends Latin-1 bytes), less the control characters: any key, even
  // an invalid one (the probe checks how invalid keys are answered), but nothing fetch would refuse to send.
  if (value.length > MAX_KEY_LENGTH || /[^\t\u0020-\u007e\u00a0-\u00ff]/.test(value)) {
    throw new ProbeUsageError(
      `--pr must be at most ${MAX_KEY_LENGTH} characters a header value can carry (printable ASCII or Latin-1)`,
    );
  }
  return value;
}
