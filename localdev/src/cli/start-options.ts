/**
 * `npm start`'s options: the one place that defines, documents (`--help`) and checks them. The bin
 * runs this before it builds anything (start-check.ts), so a typo or `--help` is answered
 * at once; the compiled runner (start.ts) parses the same way after the build.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { FaultSpecError, formatFaultSpec, parseFaultTarget } from '@pr-canary/canary-context/faults';
import { canaryServices, nodeServices } from '@pr-canary/contracts/services';
import { invalidOtlpEndpointVariables } from '@pr-canary/service-kit/local-traces';
import { isLogLevel, LOG_LEVELS } from '@pr-canary/service-kit/log-levels';
import { pathService, UnknownServiceError } from '../analyze/path';
import {
  CANARY_FLAG_EXAMPLE,
  CanaryConfigError,
  type CanarySpec,
  checkStableVersion,
  loadCanaryFile,
  parseCanaryFlags,
} from '../stack/canary-config';
import type { InstanceFaults, StackPorts } from '../stack/stack';
import { CliUsageError, HELP_OPTION, parseArgsUsageError, parseCommandArgs, terminalLine } from './args';
import { DEFAULT_PORTS, portFlag } from './port-options';

const LOCALDEV_DIR = path.resolve(__dirname, '../..');
const DEFAULT_CANARIES_FILE = path.join(LOCALDEV_DIR, 'canaries.json');
const DEFAULT_DATA_DIR = path.join(LOCALDEV_DIR, '.data/dynamodb');

const CANARY_SHORTS = canaryServices().map((service) => service.short);

export const START_HELP = `Usage: npm start -- [options]

Runs stable ${nodeServices()
  .map((service) => service.name)
  .join(' + ')} (every Node service of packages/contracts/src/services.json), their PR canaries,
dynalite, the dev router and the web UI.

Canaries (default: ${path.relative(process.cwd(), DEFAULT_CANARIES_FILE) || 'canaries.json'}):
  --canary PR=SERVICES[@VERSION]  run a canary instead of the file's, repeatable; SERVICES is a comma
                                  list of ${CANARY_SHORTS.join(', ')} (e.g. ${CANARY_FLAG_EXAMPLE})
  --canaries-file FILE            read canaries from FILE
  --no-canaries                   stable only

Ports:
  --http-port N      dev router HTTP entry, plays Traefik (default ${DEFAULT_PORTS.http})
  --grpc-port N      dev router gRPC entry, plays Linkerd; callers get it as <SHORT>_ADDR (default ${DEFAULT_PORTS.grpc})
  --dynamodb-port N  dynalite (default ${DEFAULT_PORTS.dynamodb})
  --web-port N       web UI (default ${DEFAULT_PORTS.web})
  --traces-port N    trace receiver, OTLP/HTTP (default ${DEFAULT_PORTS.traces}, the OTLP/HTTP port)
  --control-port N   the stack's control endpoint: faults, verdicts (default ${DEFAULT_PORTS.control})
  service instances always get free ports; 0 picks a free port for the others too.

Faults on purpose (change them later with npx pr-canary fault; see npx pr-canary fault --help):
  --fault PR:SERVICE:SPEC  repeatable, e.g. --fault 42:store:error-rate=0.2 --fault 42:api:latency=100ms
                           (PR may be stable; SPEC: error-rate=F, error-code=C, latency=D, latency-rate=F,
                           fail=RPC-or-route, comma-separated); only on an instance the stack runs

Other:
  --no-web                 do not serve the web UI
  --web-dev                run the web UI from Vite's dev server (hot reload, for UI work) instead
                           of serving its production build (built by npm start, cached)
  --no-traces              no local trace receiver: spans go only where OTEL_* says (if set)
  --data-dir DIR           dynalite data folder (default localdev/.data/dynamodb; kept across restarts)
  --in-memory              keep DynamoDB data in memory only
  --stable-version V       SERVICE_VERSION of stable (default 0.1.0)
  -h, --help               this text

Environment: LOG_LEVEL (fatal, error, warn, info, debug, trace or silent) is passed to every
service; CANARY_HEADER_TRUSTED other than true is refused (the key is trusted locally), and so is
an OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT that is not an http(s) URL. Every request is traced to the local trace
receiver (the route inspector's waterfall, npx pr-canary trace <id>). OTEL_* variables are passed on:
e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:14318 sends the spans to that collector as well
(with --no-traces: instead); OTEL_SDK_DISABLED=true turns tracing off.
A part that crashes is restarted with backoff. Ctrl-C, SIGTERM or closing the terminal (SIGHUP)
stops everything; press Ctrl-C again after a second to force.

Exit code: 0 stopped on request; 2 a command line it cannot run (refused before building); 1 a
canaries file it cannot use, a failed build, a port in use or a part that cannot start.`;

const PORT_NAMES = Object.keys(DEFAULT_PORTS) as (keyof StackPorts)[];
/** `--http-port N`, … : one option per port of the stack. */
const PORT_OPTIONS = Object.fromEntries(
  PORT_NAMES.map((name) => [portFlag(name).slice(2), { type: 'string' }]),
) as Record<`${keyof StackPorts}-port`, { type: 'string' }>;

const OPTIONS = {
  canary: { type: 'string', multiple: true },
  'canaries-file': { type: 'string' },
  'no-canaries': { type: 'boolean' },
  ...PORT_OPTIONS,
  fault: { type: 'string', multiple: true },
  'no-web': { type: 'boolean' },
  'web-dev': { type: 'boolean' },
  'no-traces': { type: 'boolean' },
  'data-dir': { type: 'string' },
  'in-memory': { type: 'boolean' },
  'stable-version': { type: 'string', default: '0.1.0' },
  ...HELP_OPTION,
} as const;

/**
 * `npm start --no-web` (without `--`) makes npm take `--no-web` as one of *its* options: the script
 * never sees it, only `npm_config_web=""` in its environment. Our option names found there mean the
 * user forgot the `--`.
 */
function optionsSwallowedByNpm(env: NodeJS.ProcessEnv): string[] {
  const swallowed: string[] = [];
  for (const name of Object.keys(OPTIONS).filter((option) => option !== 'help')) {
    const base = name.replace(/^no-/, '');
    const value = env[`npm_config_${base.replaceAll('-', '_')}`];
    if (value === undefined) continue;
    swallowed.push(value === '' || value === 'false' ? `--no-${base}` : `--${base}`);
  }
  return [...new Set(swallowed)];
}

export interface StartCommand {
  canaries: CanarySpec[];
  canariesSource: string;
  ports: StackPorts;
  web: boolean;
  webDev: boolean;
  traces: boolean;
  dataDir: string | undefined;
  stableVersion: string;
  faults: InstanceFaults[];
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const swallowed = optionsSwallowedByNpm(env);
  if (swallowed.length > 0) {
    throw new CliUsageError(
      `npm kept ${swallowed.join(' ')} for itself: options for the stack go after "--", e.g. npm start -- ${swallowed.join(' ')}${swallowed.some((flag) => OPTIONS[flag.slice(2) as keyof typeof OPTIONS]?.type === 'string') ? ' <value>' : ''}`,
    );
  }
  try {
    return parseCommandArgs({ args: [...argv], options: OPTIONS }).values;
  } catch (error) {
    const usage = parseArgsUsageError(error);
    if (!usage) throw error;
    throw new CliUsageError(`${usage.message}; \`npm start -- --help\` lists every option`);
  }
}

/** Options that undo each other, with what the first does: refused rather than one silently ignored. */
const CONTRADICTIONS: readonly [keyof typeof OPTIONS, keyof typeof OPTIONS, string][] = [
  ['web-dev', 'no-web', 'runs the web UI from its dev server'],
  ['no-canaries', 'canary', 'runs stable only'],
  ['no-canaries', 'canaries-file', 'runs stable only'],
  ['canary', 'canaries-file', "runs the canaries it names instead of a file's"],
  ['in-memory', 'data-dir', 'keeps DynamoDB data in memory, in no folder'],
];

export function parseStartCommand(argv: readonly string[], env: NodeJS.ProcessEnv): StartCommand | 'help' {
  const values = parseOptions(argv, env);
  if (values.help) return 'help';
  checkInheritedEnvironment(env);
  for (const [option, other, does] of CONTRADICTIONS)
    if (values[option] !== undefined && values[other] !== undefined)
      throw new CliUsageError(`--${option} ${does}; it cannot go with --${other}`);
  const stableVersion = values['stable-version'];
  asUsage(() => checkStableVersion(stableVersion));
  const file = path.resolve(values['canaries-file'] ?? DEFAULT_CANARIES_FILE);
  const [canaries, canariesSource] = values['no-canaries']
    ? [[], '--no-canaries']
    : values.canary
      ? [asUsage(() => parseCanaryFlags(values.canary ?? [], stableVersion)), '--canary']
      : [loadCanaryFile(file, stableVersion), path.relative(process.cwd(), file)];
  const ports = portOptions(values);
  checkOwnPorts(ports, { web: !values['no-web'], traces: !values['no-traces'] });
  const faults = faultOptions(values.fault ?? []);
  checkFaultTargets(faults, canaries, canariesSource);
  return {
    canaries,
    canariesSource,
    ports,
    faults,
    web: !values['no-web'],
    webDev: values['web-dev'] === true,
    traces: !values['no-traces'],
    dataDir: values['in-memory'] ? undefined : dataDirOption(values['data-dir']),
    stableVersion,
  };
}

/**
 * The stack passes its environment on to every instance; a variable that decides how an instance
 * treats the canary key must not ride along. `CANARY_HEADER_TRUSTED=false` would make every instance
 * refuse the faults admin the stack turns on, and ignore the key that reaches PRs locally: refused
 * here, naming the variable (never its value).
 */
function checkInheritedEnvironment(env: NodeJS.ProcessEnv): void {
  // Unset, empty (the services read it as unset) or `true`: what the stack sets anyway.
  if (![undefined, '', 'true'].includes(env.CANARY_HEADER_TRUSTED))
    throw new CliUsageError(
      'CANARY_HEADER_TRUSTED is set in the environment: the local stack trusts the canary key (it is how a PR’s instances are reached, and faults need it); unset it. To see a service ignore the key, run that service alone with it (its README)',
    );
  // Every service would refuse it at start, after the build and with the stack half up (empty: unset).
  if (env.LOG_LEVEL && !isLogLevel(env.LOG_LEVEL))
    throw new CliUsageError(
      `LOG_LEVEL is not a log level: every service would refuse it; set one of ${LOG_LEVELS.join(', ')} (lower case), or unset it`,
    );
  // A service warns and goes on (in a cluster a typo must not take it down); the stack's every
  // instance would send its spans to localhost:4318, where another stack's receiver may be listening.
  for (const variable of invalidOtlpEndpointVariables(env))
    throw new CliUsageError(
      `${variable} is not an http(s) URL: every service would send its spans to the OTLP default, http://localhost:4318 (perhaps another stack's trace receiver); set a URL such as http://localhost:14318, or unset it`,
    );
}

/** What canary-config refuses in a flag's value (`--canary`, `--stable-version`) is a usage error. */
function asUsage<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof CanaryConfigError) throw new CliUsageError(error.message);
    throw error;
  }
}

/**
 * `--data-dir`: a folder, made when missing. Empty would put the database files in the current folder;
 * a file there would crash dynalite at every start.
 */
function dataDirOption(value: string | undefined): string {
  if (value !== undefined && value.trim() === '')
    throw new CliUsageError('--data-dir must name a folder (or use --in-memory)');
  const dir = path.resolve(value ?? DEFAULT_DATA_DIR);
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new CliUsageError('--data-dir names a file, not a folder');
  return dir;
}

/** Every `--fault`, at most one per instance (a second would silently replace the first). */
function faultOptions(values: readonly string[]): InstanceFaults[] {
  const faults = values.map(faultOption);
  const seen = new Set<string>();
  for (const { service, track } of faults) {
    const instance = `${track}'s ${service}`;
    if (seen.has(instance))
      throw new CliUsageError(
        `--fault names ${instance} twice: give it one SPEC, comma-separated (e.g. latency=100ms,error-rate=0.2)`,
      );
    seen.add(instance);
  }
  return faults;
}

/**
 * Every `--fault` names an instance this stack runs: stable always runs, a PR's instance only where
 * its canaries say so. Refused before anything is built or started (the stack checks it again).
 */
function checkFaultTargets(
  faults: readonly InstanceFaults[],
  canaries: readonly CanarySpec[],
  canariesSource: string,
): void {
  for (const { service, track } of faults) {
    if (track === 'stable') continue;
    if (canaries.some((canary) => `pr-${canary.pr}` === track && canary.services.includes(service))) continue;
    const running = canaries.map((canary) => `PR ${canary.pr}: ${canary.services.join(', ')}`).join('; ');
    throw new CliUsageError(
      `--fault names ${service} on ${track}, which this stack does not run (canaries from ${canariesSource}: ${running || 'none'})`,
    );
  }
}

/** `--fault 42:store:error-rate=0.2` → the instance and its spec; a bad one is named with the parser's reason. */
function faultOption(value: string): InstanceFaults {
  try {
    const target = parseFaultTarget(value);
    const service = pathService(target.service);
    return {
      service: service.name as InstanceFaults['service'],
      track: target.track as InstanceFaults['track'],
      spec: formatFaultSpec(target.spec),
    };
  } catch (error) {
    if (error instanceof FaultSpecError || error instanceof UnknownServiceError)
      throw new CliUsageError(`--fault: ${error.message}`);
    throw error;
  }
}

/** Every port of the stack: its option's value where given, else the default. */
function portOptions(values: Partial<Record<`${keyof StackPorts}-port`, string>>): StackPorts {
  const ports = { ...DEFAULT_PORTS };
  for (const name of PORT_NAMES)
    ports[name] = portOption(values[`${name}-port`], DEFAULT_PORTS[name], portFlag(name));
  return ports;
}

/**
 * Two parts of the stack on one fixed port: the second could never listen (and was reported as a port
 * "already in use" by the first). 0 — a free port for each — may repeat, and a part not started
 * (`--no-web`, `--no-traces`) claims nothing.
 */
function checkOwnPorts(ports: StackPorts, started: { web: boolean; traces: boolean }): void {
  const flagOf = new Map<number, string>();
  for (const name of PORT_NAMES) {
    const port = ports[name];
    if (port === 0 || (name === 'web' && !started.web) || (name === 'traces' && !started.traces)) continue;
    const first = flagOf.get(port);
    if (first !== undefined)
      throw new CliUsageError(
        `${first} and ${portFlag(name)} are both ${port}: each part of the stack needs a port of its own`,
      );
    flagOf.set(port, portFlag(name));
  }
}

function portOption(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  // Plain digits, as the services read PORT: `08080` is refused there, so it is here too.
  if (!/^(0|[1-9][0-9]{0,4})$/.test(value) || port > 65_535)
    throw new CliUsageError(`${flag} must be a port number 0-65535`);
  return port;
}

/**
 * What `npm start` answers a command line it refuses with: the message, cleaned for the terminal, and the
 * exit code (2 a command line it cannot run, 1 a canaries file it cannot use).
 */
export function refusal(error: unknown): { message: string; exitCode: 1 | 2 } | undefined {
  if (error instanceof CliUsageError) return { message: terminalLine(error.message), exitCode: 2 };
  if (error instanceof CanaryConfigError) return { message: terminalLine(error.message), exitCode: 1 };
  return undefined;
}

/** The bin's answer to a command line that can run: build and start the stack; the web UI's production build only when it is served. */
export interface StartPlan {
  buildWeb: boolean;
}

/** What `npm start` answers before it builds anything: what it prints, its exit code, and the plan when the stack is to be built and started. */
export interface StartAnswer {
  code: number;
  stdout: string;
  stderr: string;
  plan?: StartPlan;
}

/**
 * The bin's check (start-check.ts) of a command line, before any build: `--help` answered, a command
 * line it cannot run refused with the runner's own words, anything else answered with what to build.
 */
export function answerStartCommand(argv: readonly string[], env: NodeJS.ProcessEnv): StartAnswer {
  try {
    const command = parseStartCommand(argv, env);
    if (command === 'help') return { code: 0, stdout: `${START_HELP}\n`, stderr: '' };
    return { code: 0, stdout: '', stderr: '', plan: { buildWeb: command.web && !command.webDev } };
  } catch (error) {
    const refused = refusal(error);
    if (!refused) throw error;
    return { code: refused.exitCode, stdout: '', stderr: `npm start: ${refused.message}\n` };
  }
}
