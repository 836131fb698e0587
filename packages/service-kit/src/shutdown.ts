import { setTimeout as sleep } from 'node:timers/promises';
import type pino from 'pino';

export interface ShutdownOptions {
  logger: Pick<pino.Logger, 'info' | 'error' | 'warn'>;
  /** Readiness starts failing, so load balancers stop sending new requests. */
  markNotReady(): void;
  /** How long to keep serving in-flight and late-routed requests before closing. */
  drainMs: number;
  /** Stops accepting and finishes in-flight work (Fastify close / gRPC tryShutdown with a deadline). */
  close(): Promise<void>;
  /** Flushes telemetry after the servers are closed. */
  flush?(): Promise<void>;
  exit?(code: number): void;
  /** Defaults to the real process; tests pass an EventEmitter. */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM/SIGINT: mark not-ready → drain → close → flush → exit(0) (exit(1) when a step failed).
 * A second signal exits at once with 1. Returns a function that removes the handlers.
 */
export function installShutdown(opts: ShutdownOptions): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const signals = opts.signals ?? process;
  let shuttingDown = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      opts.logger.warn({ signal }, 'second signal during shutdown, exiting now');
      exit(1);
      return;
    }
    shuttingDown = true;
    opts.logger.info({ signal, drainMs: opts.drainMs }, 'shutting down');
    void shutDown(opts).then(exit);
  };

  for (const name of SIGNALS) signals.on(name, onSignal);
  return () => {
    for (const name of SIGNALS) signals.off(name, onSignal);
  };
}

async function shutDown(opts: ShutdownOptions): Promise<number> {
  let code = 0;
  opts.markNotReady();
  await sleep(opts.drainMs);
  try {
    await opts.close();
  } catch (err) {
    opts.logger.error({ err }, 'closing servers failed');
    code = 1;
  }
  try {
    await opts.flush?.();
  } catch (err) {
    opts.logger.error({ err }, 'flushing telemetry failed');
    code = 1;
  }
  opts.logger.info({ code }, 'shutdown complete');
  return code;
}
