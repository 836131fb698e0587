/**
 * Libraries that log on their own go through the service logger, with the same sanitising as every
 * other line. grpc-js writes to `console.error` unless told otherwise, and among other things logs
 * every metadata entry it refuses with the raw value (twice: an 8 KiB value became a 16 KB line):
 * that is a peer's input reaching the logs raw. Call `routeLibraryLogs(logger)` once per process,
 * where the service's logger is made.
 */
import { format } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import type pino from 'pino';
import { safeText } from './safe-text';

/** grpc-js: `Failed to add metadata entry <key>: <values>. <error>. For more information …`. */
const REFUSED_METADATA = /^Failed to add metadata entry ([^:]*):/;
/** A key in gRPC's own alphabet is ours to name; anything else is someone's input and is not logged. */
const LOGGABLE_KEY = /^[0-9a-z_.-]{1,64}$/;

type LibraryLogger = Pick<pino.Logger, 'error' | 'warn' | 'info' | 'debug' | 'level'>;

/** grpc-js verbosity for a pino level: nothing below what the service logs is produced at all. */
function grpcVerbosity(level: string): grpc.logVerbosity {
  if (level === 'trace' || level === 'debug') return grpc.logVerbosity.DEBUG;
  if (level === 'info') return grpc.logVerbosity.INFO;
  if (level === 'silent') return grpc.logVerbosity.NONE;
  return grpc.logVerbosity.ERROR;
}

function grpcLine(logger: LibraryLogger, level: 'error' | 'info' | 'debug') {
  return (message?: unknown, ...params: unknown[]) => {
    const text = format(message, ...params);
    const refused = REFUSED_METADATA.exec(text);
    if (refused) {
      // A peer sent it: say which key (when it is a valid one), never the value.
      const key = refused[1] ?? '';
      logger.warn(
        { lib: 'grpc-js', key: LOGGABLE_KEY.test(key) ? key : '(not a valid metadata key)' },
        'grpc-js dropped an invalid metadata entry (value not logged)',
      );
      return;
    }
    logger[level]({ lib: 'grpc-js' }, safeText(text));
  };
}

/** Sends grpc-js's own log lines to `logger` (levels mapped, text sanitised and cut). */
export function routeLibraryLogs(logger: LibraryLogger): void {
  grpc.setLogger({
    error: grpcLine(logger, 'error'),
    info: grpcLine(logger, 'info'),
    debug: grpcLine(logger, 'debug'),
  });
  grpc.setLogVerbosity(grpcVerbosity(logger.level));
}
