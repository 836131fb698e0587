/**
 * `npm start`: runs the whole system locally (see localdev/README.md). With start-options.ts, the only
 * place that reads process.env and argv for the stack.
 */
import { startIdleMemoryReducer } from '@pr-canary/service-kit/idle-memory';
import { PortInUseError } from '../stack/ports';
import { StackError, startStack } from '../stack/stack';
import { terminalText } from './args';
import { boundedOutput } from './bounded-output';
import { banner } from './start-banner';
import { parseStartCommand, refusal, START_HELP } from './start-options';

const FORCE_AFTER_MS = 1_000;

async function main(): Promise<number> {
  const command = parseStartCommand(process.argv.slice(2), process.env);
  if (command === 'help') {
    process.stdout.write(`${START_HELP}\n`);
    return 0;
  }
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const startedAt = Date.now();
  /** Whether the output is gone: the terminal was closed (EIO) or its reader went away (EPIPE). */
  let outputGone = false;
  const write = boundedOutput(process.stdout);
  const log = (line: string) => {
    if (!outputGone) write(`${line}\n`);
  };
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
  let resolveStopped: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    resolveStopped = resolve;
  });
  const stopInOrder = (why: string) => {
    stopRequestedAt = Date.now();
    log(`${why}: stopping the stack…`);
    void pending.then(
      (stack) =>
        stack.stop().then(() => {
          log('every process of the stack has stopped');
          resolveStopped(0);
        }),
      () => resolveStopped(0),
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequestedAt === undefined) return stopInOrder(signal);
    if (Date.now() - stopRequestedAt > FORCE_AFTER_MS) {
      log(`${signal} again: killing everything now`);
      process.exit(130);
    }
  };
  // SIGHUP: the terminal was closed. Children are in their own process groups and would not get it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  // Nobody reads the output any more: a closed terminal (EIO, before or instead of its SIGHUP) or a
  // reader gone (EPIPE: `npm start | head`). Unhandled, the write error killed the runner, whose exit
  // hook then SIGKILLed every child: no ordered stop, dynalite's folder left claimed. Now later lines are
  // dropped and the stack stops in order, as on SIGHUP.
  const onOutputError = () => {
    if (outputGone) return;
    outputGone = true;
    if (stopRequestedAt === undefined) stopInOrder('output closed');
  };
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  const stack = await pending;
  if (stopRequestedAt !== undefined) return stopped;
  log(banner(stack.urls, command, ((Date.now() - startedAt) / 1000).toFixed(1), color));
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
      refused?.message ??
      terminalText(known ? (error as Error).message : String((error as Error)?.stack ?? error));
    process.stderr.write(`npm start: ${message}\n`);
    process.exitCode = refused?.exitCode ?? 1;
  },
);
