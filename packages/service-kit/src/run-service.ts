/**
 * A service's process entry (`src/server.ts`), written once. Every service's server.ts is
 *
 *   runService({ name: SERVICE_NAME, loadConfig, start: startService });
 *
 * and the process behaves the same for all of them: the environment read once (a bad value → the
 * variables named on stderr, exit 1), the service started, SIGTERM/SIGINT handled before `listening`
 * is announced (whoever waits for that line may stop the process right after it), and on a signal:
 * not ready → drain → close → flush telemetry → exit.
 */
import { flushCompileCache } from 'node:module';
import type pino from 'pino';
import { ConfigError } from './config';
import { startIdleMemoryReducer } from './idle-memory';
import { announceListening } from './listening';
import { installShutdown } from './shutdown';
import { shutdownTelemetry } from './telemetry-handle';

/** What `startService` of every service returns: listening, and able to stop in order. */
export interface RunningService {
  /** The bound port of the service's own protocol (the real one when PORT=0). */
  port: number;
  metricsPort: number;
  logger: pino.Logger;
  /** Shutdown step 1: readiness fails from now on, while in-flight work still finishes. */
  markNotReady(): void;
  /** Stops accepting, finishes in-flight work, closes every server and client it opened. */
  close(): Promise<void>;
  /** Extra fields for the `listening` line (e.g. the address of a peer). */
  listeningFields?: Record<string, unknown>;
}

export interface RunServiceOptions<Config extends { SHUTDOWN_DRAIN_MS: number }> {
  /** The service's name, for the lines written before a logger exists. */
  name: string;
  loadConfig(env: Record<string, string | undefined>): Config;
  start(config: Config): Promise<RunningService>;
  /** Defaults to the real process. */
  env?: Record<string, string | undefined>;
}

export function runService<Config extends { SHUTDOWN_DRAIN_MS: number }>(
  options: RunServiceOptions<Config>,
): Promise<void> {
  return start(options).catch((error: unknown) => {
    const reason =
      error instanceof ConfigError
        ? error.message // already "invalid configuration: …"
        : `failed to start: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`${options.name}: ${reason}\n`);
    process.exit(1);
  });
}

async function start<Config extends { SHUTDOWN_DRAIN_MS: number }>(
  options: RunServiceOptions<Config>,
): Promise<void> {
  const config = options.loadConfig(options.env ?? process.env);
  const service = await options.start(config);
  let memory: { stop(): void } | undefined;
  installShutdown({
    logger: service.logger,
    markNotReady: () => {
      memory?.stop();
      service.markNotReady();
    },
    drainMs: config.SHUTDOWN_DRAIN_MS,
    close: () => service.close(),
    flush: shutdownTelemetry,
  });
  announceListening(service.logger, {
    port: service.port,
    metricsPort: service.metricsPort,
    ...service.listeningFields,
  });
  flushCompileCache();
  memory = startIdleMemoryReducer();
}
