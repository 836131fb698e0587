/**
 * `npm start`: runs the whole system locally (see localdev/README.md). The only place that reads
 * process.env and argv for the stack.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { FaultSpecError, formatFaultSpec, parseFaultTarget } from '@pr-canary/canary-context/faults';
import { CANARY_HEADER, CANARY_HEADER_CANONICAL } from '@pr-canary/contracts/canary-key';
import { canaryServices, type Hop, nodeServices } from '@pr-canary/contracts/services';
import { startIdleMemoryReducer } from '@pr-canary/service-kit/idle-memory';
import { pathService, UnknownServiceError } from '../analyze/path';
import {
  CANARY_FLAG_EXAMPLE,
  CanaryConfigError,
  type CanarySpec,
  checkStableVersion,
  loadCanaryFile,
  parseCanaryFlags,
} from '../stack/canary-config';
import { PortInUseError } from '../stack/ports';
import { paint } from '../stack/prefix';
import { type InstanceFaults, type Stack, StackError, type StackPorts, startStack } from '../stack/stack';
import { DEFAULT_PORTS } from './port-options';

const LOCALDEV_DIR = path.resolve(__dirname, '../..');
const DEFAULT_CANARIES_FILE = path.join(LOCALDEV_DIR, 'canaries.json');
const DEFAULT_DATA_DIR = path.join(LOCALDEV_DIR, '.data/dynamodb');
const FORCE_AFTER_MS = 1_000;

const CANARY_SHORTS = canaryServices().map((service) => service.short);

const HELP = `Usage: npm start -- [options]

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
                           fail=RPC-or-route, comma-separated)

Other:
  --no-web                 do not serve the web UI
  --web-dev                run the web UI from Vite's dev server (hot reload, for UI work) instead
                           of serving its production build (built by npm start, cached)
  --no-traces              no local trace receiver: spans go only where OTEL_* says (if set)
  --data-dir DIR           dynalite data folder (default localdev/.data/dynamodb; kept across restarts)
  --in-memory              keep DynamoDB data in memory only
  --stable-version V       SERVICE_VERSION of stable (default 0.1.0)
  -h, --help               this text

Environment: LOG_LEVEL is passed to every service. Every request is traced to the local trace
receiver (the route inspector's waterfall, npx pr-canary trace <id>). OTEL_* variables are passed on:
e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:14318 sends the spans to that collector as well
(with --no-traces: instead); OTEL_SDK_DISABLED=true turns tracing off.
A part that crashes is restarted with backoff. Ctrl-C, SIGTERM or closing the terminal (SIGHUP)
stops everything; press Ctrl-C again after a second to force.`;

const OPTIONS = {
  canary: { type: 'string', multiple: true },
  'canaries-file': { type: 'string' },
  'no-canaries': { type: 'boolean' },
  'http-port': { type: 'string' },
  'grpc-port': { type: 'string' },
  'dynamodb-port': { type: 'string' },
  'web-port': { type: 'string' },
  'traces-port': { type: 'string' },
  'control-port': { type: 'string' },
  fault: { type: 'string', multiple: true },
  'no-web': { type: 'boolean' },
  'web-dev': { type: 'boolean' },
  'no-traces': { type: 'boolean' },
  'data-dir': { type: 'string' },
  'in-memory': { type: 'boolean' },
  'stable-version': { type: 'string', default: '0.1.0' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A command line that cannot be run as typed: the message says what to type instead. */
class UsageError extends Error {
  override name = 'UsageError';
}

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

interface StartCommand {
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
    throw new UsageError(
      `npm kept ${swallowed.join(' ')} for itself: options for the stack go after "--", e.g.\n  npm start -- ${swallowed.join(' ')}${swallowed.some((flag) => OPTIONS[flag.slice(2) as keyof typeof OPTIONS]?.type === 'string') ? ' <value>' : ''}`,
    );
  }
  try {
    return parseArgs({ args: [...argv], options: OPTIONS }).values;
  } catch (error) {
    if (!(error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw error;
    // Node's own text ("Unknown option '--x'. To specify a positional argument…") names the culprit.
    const first = (error as Error).message.split('. ')[0];
    throw new UsageError(`${first}; \`npm start -- --help\` lists every option`);
  }
}

function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): StartCommand | 'help' {
  const values = parseOptions(argv, env);
  if (values.help) return 'help';
  if (values['web-dev'] && values['no-web'])
    throw new UsageError('--web-dev runs the web UI from its dev server; it cannot go with --no-web');
  const stableVersion = values['stable-version'];
  checkStableVersion(stableVersion);
  const file = path.resolve(values['canaries-file'] ?? DEFAULT_CANARIES_FILE);
  const [canaries, canariesSource] = values['no-canaries']
    ? [[], '--no-canaries']
    : values.canary
      ? [parseCanaryFlags(values.canary, stableVersion), '--canary']
      : [loadCanaryFile(file, stableVersion), path.relative(process.cwd(), file)];
  return {
    canaries,
    canariesSource,
    ports: {
      http: portOption(values['http-port'], DEFAULT_PORTS.http, '--http-port'),
      grpc: portOption(values['grpc-port'], DEFAULT_PORTS.grpc, '--grpc-port'),
      dynamodb: portOption(values['dynamodb-port'], DEFAULT_PORTS.dynamodb, '--dynamodb-port'),
      web: portOption(values['web-port'], DEFAULT_PORTS.web, '--web-port'),
      traces: portOption(values['traces-port'], DEFAULT_PORTS.traces, '--traces-port'),
      control: portOption(values['control-port'], DEFAULT_PORTS.control, '--control-port'),
    },
    faults: (values.fault ?? []).map(faultOption),
    web: !values['no-web'],
    webDev: values['web-dev'] === true,
    traces: !values['no-traces'],
    dataDir: values['in-memory'] ? undefined : path.resolve(values['data-dir'] ?? DEFAULT_DATA_DIR),
    stableVersion,
  };
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
      throw new CanaryConfigError(`--fault: ${error.message}`);
    throw error;
  }
}

function portOption(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^[0-9]{1,5}$/.test(value) || port > 65_535)
    throw new CanaryConfigError(`${flag} must be a port number 0-65535`);
  return port;
}

type BannerRow = [label: string, address: string, note: string];

function banner(stack: Stack, command: StartCommand, seconds: string, color: boolean): string {
  const apiUrl = stack.urls.api.replace('127.0.0.1', 'localhost');
  const bold = (text: string) => (color ? paint(1, text) : text);
  const canaryLines = command.canaries.length
    ? command.canaries.map((c) => `   PR ${c.pr.padEnd(6)} ${c.services.join(' + ')}  (version ${c.version})`)
    : ['   none: stable only'];
  const pr = command.canaries[0]?.pr;
  // A PR whose canaries leave out an edge service: its key goes through a stable edge instance.
  const edgeNames = nodeServices()
    .filter((service) => service.hop === 'edge')
    .map((service) => service.name);
  const behindStable = command.canaries.find((c) => edgeNames.some((name) => !c.services.includes(name)))?.pr;
  const web: BannerRow[] = stack.urls.web
    ? [['web UI', stack.urls.web, 'items + route inspector (with the waterfall)']]
    : [];
  const traces: BannerRow[] = stack.urls.traces
    ? [['traces', stack.urls.traces, 'OTLP/HTTP receiver; every response names its trace in X-Trace-Id']]
    : [];
  const hopRows = (hop: Hop, address: string, header: string): BannerRow[] =>
    nodeServices()
      .filter((service) => service.hop === hop)
      .map((service, index) => [
        `${service.short} (${hop})`,
        hop === 'edge' && index > 0
          ? address.replace('//localhost:', `//${service.short}.localhost:`)
          : address,
        `${header}: N → ${service.short} canary of PR N if running, else stable`,
      ]);
  const dynamodb: BannerRow[] = stack.urls.dynamodb
    ? [
        [
          'dynamodb',
          stack.urls.dynamodb,
          command.dataDir ? `data in ${path.relative(process.cwd(), command.dataDir)}` : 'in memory',
        ],
      ]
    : [];
  const parts: BannerRow[] = [
    ...web,
    ...hopRows('edge', apiUrl, CANARY_HEADER_CANONICAL),
    ...hopRows('mesh', stack.urls.grpc, CANARY_HEADER),
    ...dynamodb,
    ...traces,
    ['control', stack.urls.control, 'pr-canary fault / analyze; the verdicts the web UI shows'],
  ];
  const urlWidth = Math.max(...parts.map(([, url]) => url.length));
  return [
    '',
    bold(`pr-canary local stack is ready in ${seconds} s`),
    ...parts.map(([label, url, note]) => `   ${label.padEnd(14)} ${url.padEnd(urlWidth)}   ${note}`),
    ` canaries (from ${command.canariesSource}):`,
    ...canaryLines,
    ' try:',
    `   curl -i ${apiUrl}/api/route`,
    ...[pr, behindStable]
      .filter((key, index, all) => key !== undefined && all.indexOf(key) === index)
      .map((key) => `   curl -i -H 'X-Canary: ${key}' ${apiUrl}/api/route`),
    ...(pr ? [`   npx pr-canary probe --url ${apiUrl} --pr ${pr}`] : []),
    ...(stack.urls.traces
      ? [`   npx pr-canary trace --last --url ${stack.urls.traces.replace('127.0.0.1', 'localhost')}`]
      : []),
    ...(pr ? [`   npx pr-canary analyze --pr ${pr}            # PR ${pr} against stable, per hop`] : []),
    ...(pr
      ? [`   npx pr-canary fault ${pr}:store:error-rate=0.2   # break it on purpose (…:none to fix)`]
      : []),
    ...command.faults.map((f) => `   faults: ${f.service} ${f.track}: ${f.spec}`),
    ' Ctrl-C stops everything.',
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const command = parseCommand(process.argv.slice(2), process.env);
  if (command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const startedAt = Date.now();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let stopRequestedAt: number | undefined;
  const pending = startStack({
    canaries: command.canaries,
    stableVersion: command.stableVersion,
    ports: command.ports,
    web: command.web,
    webDev: command.webDev,
    traces: command.traces,
    dataDir: command.dataDir,
    faults: command.faults,
    env: process.env,
    log,
    color,
  });
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      const now = Date.now();
      if (stopRequestedAt !== undefined) {
        if (now - stopRequestedAt > FORCE_AFTER_MS) {
          log(`${signal} again: killing everything now`);
          process.exit(130);
        }
        return;
      }
      stopRequestedAt = now;
      log(`${signal}: stopping the stack…`);
      void pending.then(
        (stack) =>
          stack.stop().then(() => {
            log('every process of the stack has stopped');
            resolve(0);
          }),
        () => resolve(0),
      );
    };
    // SIGHUP: the terminal was closed. Children are in their own process groups and would not get it.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  });
  const stack = await pending;
  if (stopRequestedAt !== undefined) return stopped;
  log(banner(stack, command, ((Date.now() - startedAt) / 1000).toFixed(1), color));
  // The runner (routers, trace receiver, web UI, control endpoint) then mostly waits, like a service:
  // V8 gives back what starting the stack grew (service-kit's idle memory reducer).
  const memory = startIdleMemoryReducer();
  const code = await Promise.race([stopped, stack.failed.then(() => 1)]);
  memory.stop();
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known =
      error instanceof PortInUseError ||
      error instanceof StackError ||
      error instanceof CanaryConfigError ||
      error instanceof UsageError;
    process.stderr.write(
      `npm start: ${known ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`,
    );
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
