/** `pr-canary analyze` and `pr-canary fault`: the verdict on a PR, and faults to make one fail on purpose. */
import { access, constants, open, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  exitCodeFor,
  halfWindow,
  observeCluster,
  PrometheusError,
  prometheusHttp,
  renderMarkdown,
  renderText,
  type Thresholds,
  type Verdict,
} from '@pr-canary/canary-analysis';
import { FaultSpecError, formatFaultSpec, parseFaultTarget } from '@pr-canary/canary-context/faults';
import { isTrack, PR_NUMBER_PATTERN } from '@pr-canary/contracts/canary-key';
import type { ErrorBody } from '@pr-canary/contracts/error-body';
import { isHttpUrl } from '@pr-canary/service-kit/local-traces';
import { AnalyzeError, analyzeLocal, type InstanceEndpoint } from '../analyze/analyze';
import { LoadUsageError, loopbackOrigin } from '../analyze/load';
import { PATH_SERVICES, pathService, UnknownServiceError } from '../analyze/path';
import { judgeReached } from '../analyze/reached';
import { readJsonCapped } from '../read-json';
import { CONTROL_CODES } from '../stack/control-server';
import {
  answeredHelp,
  CliUsageError,
  HELP_OPTION,
  parseCommandArgs,
  terminalLine,
  terminalText,
  wholeNumber,
} from './args';
import { DEFAULT_CONTROL_URL } from './port-options';

const SHORT_NAMES = PATH_SERVICES.map((s) => s.short);

export const ANALYZE_HELP = `Usage: pr-canary analyze --pr N [--requests 200] [--concurrency 4] [--control URL] [--json FILE] [--markdown FILE]
       pr-canary analyze --pr N --prometheus URL --canaries ${SHORT_NAMES.join(',')} [--window 30m] [--json FILE] [--markdown FILE]

Compares PR N with stable at every hop — error rate (Fisher's exact test) and latency (Mann-Whitney U,
p99 tail) — from the same pr_canary_* series the Flagger MetricTemplates and the Grafana dashboard
read, and prints a verdict: PASS, FAIL (significantly worse by more than the tolerance) or CANNOT TELL
(too few calls, or worse by more than the tolerance but not clearly more than chance: run it again or
with more --requests). Locally it drives REQUESTS requests through stable and as many through PR N
(interleaved, loopback only) and reads each instance's metrics before and after; with --prometheus it
asks Prometheus what the services saw over the last WINDOW.

  --pr N                  the PR number
  --requests N            locally: requests per side (default 200, 20-5000)
  --concurrency N         locally: requests in flight (default 4, 1-64)
  --control URL           locally: the stack's control endpoint (default ${DEFAULT_CONTROL_URL})
  --prometheus URL        judge from Prometheus instead (a cluster; e.g. a port-forward)
  --canaries LIST         with --prometheus: the services PR N has canaries of (${SHORT_NAMES.join(', ')})
  --window DURATION       with --prometheus: how far back to look (default 30m)
  --max-error-increase F  error-rate points the PR may add (default 0.05)
  --max-p50-increase MS   (default 25)     --max-p99-increase MS   (default 50)
  --json FILE             also write the verdict as JSON (- for stdout instead of text)
  --markdown FILE         also write it as markdown, the PR comment's verdict table (- for stdout
                          instead of text; not with --json -)

A flag of the other way of judging (--window locally, --requests with --prometheus) is a usage error.
Exit code: 0 pass, 1 fail, 3 cannot tell, 2 usage error (every flag is checked before the stack or
Prometheus is asked), 4 nothing judged (the stack, an instance or Prometheus did not answer as needed).`;

export const FAULT_HELP = `Usage: pr-canary fault <PR|stable>:<service>:<spec> [--control URL]
       pr-canary fault --list [--control URL]

Sets the faults of one instance of the running local stack (npm start), e.g.
  pr-canary fault 42:store:error-rate=0.2            1 call in 5 of PR 42's store fails, at random (UNAVAILABLE)
  pr-canary fault 42:store:latency=100ms             every call of PR 42's store takes 100 ms longer
  pr-canary fault 42:store:fail=GetItem              GetItem always fails
  pr-canary fault '42:api:fail=GET /api/items/:id'   that route always answers 503 (quoted: a space)
  pr-canary fault 42:store:none                      back to normal

Spec: error-rate=F, error-code=CODE, latency=D, latency-rate=F, fail=NAME (comma-separated). The same
faults can be set at start: npm start -- --fault 42:store:error-rate=0.2.`;

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

export async function runAnalyze(args: readonly string[], out: Output): Promise<number> {
  const { values } = parseCommandArgs({
    args: [...args],
    options: {
      pr: { type: 'string' },
      requests: { type: 'string' },
      concurrency: { type: 'string' },
      control: { type: 'string' },
      prometheus: { type: 'string' },
      canaries: { type: 'string' },
      window: { type: 'string' },
      'max-error-increase': { type: 'string' },
      'max-p50-increase': { type: 'string' },
      'max-p99-increase': { type: 'string' },
      json: { type: 'string' },
      markdown: { type: 'string' },
      ...HELP_OPTION,
    },
  });
  if (answeredHelp(values, ANALYZE_HELP, out)) return 0;
  // Every flag is checked before anything is asked of the stack or of Prometheus.
  if (values.pr === undefined || !PR_NUMBER_PATTERN.test(values.pr))
    throw new CliUsageError('--pr must be a PR number (1-999999999)');
  const pr = values.pr;
  const thresholds: Partial<Thresholds> = {};
  if (values['max-error-increase'] !== undefined)
    thresholds.maxErrorRateIncrease = decimal(
      values['max-error-increase'],
      '--max-error-increase',
      0.0001,
      0.9999,
    );
  if (values['max-p50-increase'] !== undefined)
    thresholds.maxP50IncreaseMs = decimal(values['max-p50-increase'], '--max-p50-increase', 0, 60_000);
  if (values['max-p99-increase'] !== undefined)
    thresholds.maxP99IncreaseMs = decimal(values['max-p99-increase'], '--max-p99-increase', 0, 60_000);
  if (values.json === '-' && values.markdown === '-')
    throw new CliUsageError('--json - and --markdown - both want stdout: write one of them to a FILE');
  const mode = values.prometheus === undefined ? localMode(values) : prometheusMode(values);
  // A typo in a path must not cost a whole analysis (nor end it with a stack trace).
  for (const flag of ['json', 'markdown'] as const)
    if (values[flag] !== '-') await checkWritable(values[flag], `--${flag}`);
  const verdict = await (mode.kind === 'prometheus'
    ? analyzePrometheus(pr, mode, thresholds)
    : analyzeStack(pr, mode, thresholds));
  const json = `${JSON.stringify(verdict, null, 2)}\n`;
  const markdown = renderMarkdown(verdict);
  out.stdout(values.json === '-' ? json : values.markdown === '-' ? markdown : renderText(verdict));
  // A file that cannot be written now (the disk filled since the check) is said, but the verdict made
  // stands in the exit code: a FAIL must stay 1 for CI.
  const files = [
    ['--json', values.json, json],
    ['--markdown', values.markdown, markdown],
  ] as const;
  for (const [flag, file, text] of files) {
    if (file === undefined || file === '-') continue;
    const problem = await writeOut(file, flag, text);
    if (problem) out.stderr(`pr-canary: ${problem}\n`);
  }
  return exitCodeFor(verdict.outcome);
}

type AnalyzeValues = Partial<
  Record<'requests' | 'concurrency' | 'control' | 'prometheus' | 'canaries' | 'window', string>
>;

/** The flags that apply to one way of judging only: refused with the other, not silently ignored. */
const LOCAL_ONLY = ['requests', 'concurrency', 'control'] as const;
const PROMETHEUS_ONLY = ['canaries', 'window'] as const;

interface LocalMode {
  kind: 'local';
  control: string;
  requests: number;
  concurrency: number;
}

interface PrometheusMode {
  kind: 'prometheus';
  url: string;
  window: string;
  canaries: Set<(typeof PATH_SERVICES)[number]>;
}

function localMode(values: AnalyzeValues): LocalMode {
  for (const flag of PROMETHEUS_ONLY)
    if (values[flag] !== undefined) throw new CliUsageError(`--${flag} applies only with --prometheus`);
  return {
    kind: 'local',
    control: loopbackOrigin(values.control ?? DEFAULT_CONTROL_URL, '--control'),
    requests: wholeNumber(values.requests ?? '200', '--requests', 20, 5_000),
    concurrency: wholeNumber(values.concurrency ?? '4', '--concurrency', 1, 64),
  };
}

function prometheusMode(values: AnalyzeValues): PrometheusMode {
  for (const flag of LOCAL_ONLY)
    if (values[flag] !== undefined)
      throw new CliUsageError(`--${flag} applies to the local stack only, not with --prometheus`);
  const window = values.window ?? '30m';
  try {
    halfWindow(window);
  } catch (error) {
    if (error instanceof RangeError) throw new CliUsageError(`--window: ${error.message}`);
    throw error;
  }
  const canaries = (values.canaries ?? '').split(',').filter((s) => s !== '');
  return {
    kind: 'prometheus',
    url: httpUrl(values.prometheus ?? '', '--prometheus'),
    window,
    canaries: new Set(canaries.map(pathService)),
  };
}

async function analyzePrometheus(
  pr: string,
  mode: PrometheusMode,
  thresholds: Partial<Thresholds>,
): Promise<Verdict> {
  const services = PATH_SERVICES.map((s) => ({ ...s, hasCanary: mode.canaries.has(s) }));
  const hops = await observeCluster({
    query: prometheusHttp(mode.url),
    pr,
    window: mode.window,
    services,
  }).catch((error: unknown) => {
    if (error instanceof RangeError) throw new CliUsageError(error.message);
    if (error instanceof PrometheusError) throw prometheusFailure(error);
    throw error;
  });
  return judgeReached({
    pr,
    mode: `prometheus ${mode.window}`,
    always: [],
    services: hops.map((observation, i) => ({ observation, hasCanary: services[i]?.hasCanary ?? false })),
    traffic: `the traffic of the last ${mode.window}`,
    thresholds,
  });
}

async function analyzeStack(pr: string, mode: LocalMode, thresholds: Partial<Thresholds>): Promise<Verdict> {
  const { control } = mode;
  const { apiUrl, instances } = await controlGet(control, '/instances', parseInstancesAnswer);
  const track = `pr-${pr}`;
  if (!instances.some((i) => i.track === track)) {
    const prs = [...new Set(instances.map((i) => i.track).filter((t) => t !== 'stable'))];
    throw new CliUsageError(
      `this stack runs no canary of PR ${pr}, so there is nothing to compare with stable (its canaries: ${
        prs.length > 0 ? prs.join(', ') : 'none'
      })`,
    );
  }
  const verdict = await analyzeLocal({
    url: apiUrl,
    pr,
    requests: mode.requests,
    concurrency: mode.concurrency,
    instances,
    path: PATH_SERVICES,
    thresholds,
  });
  // The web UI shows the latest verdict per PR; failing to hand it over does not change the verdict.
  await fetch(`${control}/verdicts/${pr}`, { method: 'PUT', body: JSON.stringify(verdict) }).catch(
    () => undefined,
  );
  return verdict;
}

export async function runFault(args: readonly string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      control: { type: 'string', default: DEFAULT_CONTROL_URL },
      list: { type: 'boolean', default: false },
      ...HELP_OPTION,
    },
  });
  if (answeredHelp(values, FAULT_HELP, out)) return 0;
  const control = loopbackOrigin(values.control, '--control');
  if (values.list) {
    if (positionals.length > 0) throw new CliUsageError('--list takes no fault');
    const { instances } = await controlGet(control, '/faults', parseFaultsAnswer);
    for (const i of instances)
      out.stdout(
        `${terminalLine(i.service).padEnd(14)} ${terminalLine(i.track).padEnd(8)} ${terminalLine(i.faults)}\n`,
      );
    return 0;
  }
  if (positionals.length !== 1)
    throw new CliUsageError(
      'give one fault, e.g. pr-canary fault 42:store:error-rate=0.2 (quote it if it has spaces)',
    );
  let target: ReturnType<typeof parseFaultTarget>;
  try {
    target = parseFaultTarget(positionals[0] as string);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new CliUsageError(error.message);
    throw error;
  }
  const service = pathService(target.service);
  const response = await fetch(`${control}/faults/${target.track}/${service.name}`, {
    method: 'PUT',
    body: formatFaultSpec(target.spec),
  }).catch(() => {
    throw new AnalyzeError(`no local stack answers at ${control} (start it with npm start)`);
  });
  const answer = ((await readJsonCapped(response, MAX_CONTROL_ANSWER_BYTES).catch(() => null)) ?? {}) as {
    faults?: unknown;
  } & Partial<ErrorBody>;
  if (response.ok && typeof answer.faults === 'string') {
    out.stdout(`${service.name} ${target.track}: ${terminalLine(answer.faults)}\n`);
    return 0;
  }
  // The control endpoint's own refusals (an instance it does not run, a spec refused, an instance not
  // running) are said in its words; any other answer — another server on that port — is not trusted.
  const own = Object.values(CONTROL_CODES) as string[];
  if (typeof answer.code !== 'string' || !own.includes(answer.code) || typeof answer.message !== 'string')
    throw controlFailure(response.status);
  const usage = answer.code === CONTROL_CODES.noSuchInstance || answer.code === CONTROL_CODES.badFaultSpec;
  out.stderr(`pr-canary: ${terminalLine(answer.message)}\n`);
  return usage ? 2 : 1;
}

/** What a control endpoint that answered something else than expected (or is not one) is reported as. */
function controlFailure(status: number): AnalyzeError {
  return new AnalyzeError(`the stack's control endpoint answered HTTP ${status}`);
}

/** The most a control endpoint's answer may be (its lists name a few instances). */
const MAX_CONTROL_ANSWER_BYTES = 1024 * 1024;

/**
 * GETs a control path and reads its answer with `parse` (undefined: not what a pr-canary control
 * endpoint answers — another server on that port, or another version of it).
 */
async function controlGet<T>(
  control: string,
  path: string,
  parse: (body: unknown) => T | undefined,
): Promise<T> {
  const response = await fetch(`${control}${path}`, { signal: AbortSignal.timeout(10_000) }).catch(() => {
    throw new AnalyzeError(
      `no local stack answers at ${control} (start it with npm start, or give --control)`,
    );
  });
  if (!response.ok) throw controlFailure(response.status);
  const parsed = parse(await readJsonCapped(response, MAX_CONTROL_ANSWER_BYTES).catch(() => undefined));
  if (parsed === undefined)
    throw new AnalyzeError(`what answers at ${control}${path} is not a pr-canary stack's control endpoint`);
  return parsed;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `GET /instances`: the api's URL and every instance with its state and metrics port. */
function parseInstancesAnswer(body: unknown): { apiUrl: string; instances: InstanceEndpoint[] } | undefined {
  if (!isRecord(body) || typeof body.apiUrl !== 'string' || !Array.isArray(body.instances)) return undefined;
  const instances: InstanceEndpoint[] = [];
  for (const entry of body.instances) {
    if (!isRecord(entry)) return undefined;
    const { service, track, metricsPort, state } = entry;
    if (typeof service !== 'string' || typeof track !== 'string' || typeof state !== 'string')
      return undefined;
    // Said back to the user (its canaries, an instance's state): a track as the stack names one.
    if (!isTrack(track)) return undefined;
    if (metricsPort !== null && !(Number.isInteger(metricsPort) && (metricsPort as number) > 0))
      return undefined;
    instances.push({ service, track, state, metricsPort: metricsPort as number | null });
  }
  return { apiUrl: body.apiUrl, instances };
}

/** `GET /faults`: every instance's faults, as a spec. */
function parseFaultsAnswer(
  body: unknown,
): { instances: { service: string; track: string; faults: string }[] } | undefined {
  if (!isRecord(body) || !Array.isArray(body.instances)) return undefined;
  const instances: { service: string; track: string; faults: string }[] = [];
  for (const entry of body.instances) {
    if (!isRecord(entry)) return undefined;
    const { service, track, faults } = entry;
    if (typeof service !== 'string' || typeof track !== 'string' || typeof faults !== 'string')
      return undefined;
    instances.push({ service, track, faults });
  }
  return { instances };
}

/** Refuses a --json/--markdown FILE that cannot be written: a directory, a missing or read-only folder. */
async function checkWritable(file: string | undefined, flag: string): Promise<void> {
  if (file === undefined) return;
  const target = resolve(file);
  try {
    const existing = await stat(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (existing?.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    // A device or a pipe (/dev/null, >(jq)) is only asked whether it may be written: opening a pipe
    // would wait for its reader.
    if (existing && !existing.isFile()) return await access(target, constants.W_OK);
    await access(dirname(target), constants.F_OK);
    // A regular file is opened for appending (nothing is truncated) and a new one removed again:
    // access() says yes to root anywhere, and on /proc or /sys, where no file can be made.
    const handle = await open(target, 'a').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? Object.assign(new Error(), { code: 'EACCES' }) : error;
    });
    await handle.close();
    if (!existing) await unlink(target);
  } catch (error) {
    throw new CliUsageError(`${flag}: cannot write ${JSON.stringify(file)} (${fsReason(error)})`);
  }
}

/** Writes `text` to `file`; on failure, the sentence that says so (the caller prints it). */
async function writeOut(file: string, flag: string, text: string): Promise<string | undefined> {
  return writeFile(file, text).then(
    () => undefined,
    (error: unknown) =>
      terminalText(
        `${flag}: could not write ${JSON.stringify(file)} (${fsReason(error)}); the verdict above stands`,
      ),
  );
}

function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such folder';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'not writable';
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  return code ?? 'unknown error';
}

/** A Prometheus failure for the terminal: its text cleaned (`?` where a control character was), and where to look. */
function prometheusFailure(error: PrometheusError): AnalyzeError {
  const hint = error.kind === 'unreachable' ? '; --prometheus points elsewhere?' : '';
  return new AnalyzeError(`${terminalLine(error.message)}${hint}`);
}

function decimal(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^[0-9]*\.?[0-9]+$/.test(value) || n < min || n > max)
    throw new CliUsageError(`${flag} must be a number ${min}-${max}`);
  return n;
}

function httpUrl(value: string, flag: string): string {
  if (!isHttpUrl(value)) throw new CliUsageError(`${flag} must be an http(s) URL`);
  return value;
}

export function isCliUsageError(error: unknown): boolean {
  return (
    error instanceof CliUsageError ||
    error instanceof LoadUsageError ||
    error instanceof UnknownServiceError ||
    error instanceof FaultSpecError
  );
}
