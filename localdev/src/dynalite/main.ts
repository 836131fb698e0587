/**
 * Runs dynalite (a real DynamoDB-API server) as its own process for the local stack.
 * Usage: main.ts --port <port> --host <host> [--path <dir>] — with --path, data is kept on disk (LevelDB).
 * Prints one JSON line `{"msg":"listening","port":N}` once bound (port 0 picks a free port), and sends
 * the same announcement as the services over IPC when started with a channel (the local stack does).
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { ListeningMessage } from '@pr-canary/canary-context/listening';
import dynalite from 'dynalite';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    path: { type: 'string' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535)
  throw new Error('--port must be an integer 0-65535');
if (values.path) mkdirSync(values.path, { recursive: true });

const server = dynalite({ path: values.path, createTableMs: 20, deleteTableMs: 20, updateTableMs: 20 });
server.listen(port, values.host, () => {
  const bound = (server.address() as AddressInfo).port;
  process.stdout.write(
    `${JSON.stringify({ level: 30, msg: 'listening', port: bound, path: values.path ?? 'memory' })}\n`,
  );
  if (typeof process.send === 'function' && process.connected) {
    const message: ListeningMessage = { type: 'pr-canary:listening', port: bound };
    process.send(message);
  }
});

function shutdown(): void {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
