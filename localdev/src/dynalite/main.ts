/**
 * Runs dynalite (a real DynamoDB-API server, started by `@pr-canary/local-kit` as the tests start it)
 * as its own process for the local stack.
 * Usage: main.ts --port <port> --host <host> [--path <dir>] — with --path, data is kept on disk (LevelDB).
 * Prints one JSON line `{"msg":"listening","port":N}` once bound (port 0 picks a free port), and sends
 * the same announcement as the services over IPC when started with a channel (the local stack does).
 */
import { parseArgs } from 'node:util';
import { startDynalite } from '@pr-canary/local-kit';
import { startIdleMemoryReducer } from '@pr-canary/service-kit/idle-memory';
import type { ListeningMessage } from '@pr-canary/service-kit/listening';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    path: { type: 'string' },
  },
});

async function main(): Promise<void> {
  // Tables take a moment to become ACTIVE, as in DynamoDB (the store waits for that).
  const db = await startDynalite({
    host: values.host,
    port: Number(values.port),
    path: values.path,
    tableDelayMs: 20,
  });
  process.stdout.write(
    `${JSON.stringify({ level: 30, msg: 'listening', port: db.port, path: values.path ?? 'memory' })}\n`,
  );
  if (typeof process.send === 'function' && process.connected) {
    const message: ListeningMessage = { type: 'pr-canary:listening', port: db.port };
    process.send(message);
  }
  // Long-lived and mostly idle, like a service: V8 gives back what start-up grew (service-kit).
  const memory = startIdleMemoryReducer();
  const shutdown = (): void => {
    memory.stop();
    void db.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`dynalite: ${(error as Error).message}\n`);
  process.exit(1);
});
