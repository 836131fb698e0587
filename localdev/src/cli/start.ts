/**
 * `npm start`: runs the whole system locally (see localdev/README.md). With start-options.ts, the only
 * place that reads process.env and argv for the stack.
 */
import * as path from 'node:path';
import { CANARY_HEADER, CANARY_HEADER_CANONICAL } from '@pr-canary/contracts/canary-key';
import { type Hop, nodeServices } from '@pr-canary/contracts/services';
import { startIdleMemoryReducer } from '@pr-canary/service-kit/idle-memory';
import { PortInUseError } from '../stack/ports';
import { paint } from '../stack/prefix';
import { type Stack, StackError, startStack } from '../stack/stack';
import { parseStartCommand, refusal, START_HELP, type StartCommand } from './start-options';

const FORCE_AFTER_MS = 1_000;

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
  const command = parseStartCommand(process.argv.slice(2), process.env);
  if (command === 'help') {
    process.stdout.write(`${START_HELP}\n`);
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
    const refused = refusal(error);
    const known = error instanceof PortInUseError || error instanceof StackError;
    const message =
      refused?.message ?? (known ? (error as Error).message : String((error as Error)?.stack ?? error));
    process.stderr.write(`npm start: ${message}\n`);
    process.exitCode = refused?.exitCode ?? 1;
  },
);
