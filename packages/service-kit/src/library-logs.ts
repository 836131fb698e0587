/**
 * Libraries that log on their own go through the service logger, with the same sanitising as every
 * other line. grpc-js writes to `console.error` unless told otherwise, and among other things logs
 * every metadata entry it refuses with the raw value (twice: an 8 KiB value became a 16 KB line):
 * that is a peer's input reaching the logs raw. Call `routeLibraryLogs(logger)` once per process,
 * where the service's logger is made.
 */
import { format } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { CANARY_HEADER } from '@pr-canary/contracts/canary-key';
import type pino from 'pino';
import { safeText } from './safe-text';

/** grpc-js: `Failed to add metadata entry <key>: <values>. <error>. For more information …`. */
const REFUSED_METADATA = /^Failed to add metadata entry ([^:]*):/;
/** A key in gRPC's own alphabet is ours to name; anything else is someone's input and is not logged. */
const LOGGABLE_KEY = /^[0-9a-z_.-]{1,64}$/;

/**
 * At most one "dropped" line per this long: every call of a peer that sends a bad entry makes one,
 * and a line per call would let any peer flood the logs. The next line says how many it stands for.
 */
export const REFUSED_METADATA_LOG_INTERVAL_MS = 10_000;
const REFUSED_METADATA_MESSAGE = `grpc-js dropped an invalid metadata entry (value not logged; at most one such line every ${REFUSED_METADATA_LOG_INTERVAL_MS / 1000} s)`;

type LibraryLogger = Pick<pino.Logger, 'error' | 'warn' | 'info' | 'debug' | 'level'>;

export interface LibraryLogOptions {
  /**
   * Called for every `x-canary` entry grpc-js refuses (a value outside printable ASCII: a tab, a
   * non-ASCII byte). grpc-js drops it before any interceptor runs, so the call arrives with no key
   * and is served as stable; this is where it is still known that an invalid key was sent.
   */
  onRefusedCanaryKey?: () => void;
  /** The clock of the rate limit (tests). */
  now?: () => number;
}

/**
 * grpc-js verbosity for a pino level: nothing below what the service logs is produced at all. Errors
 * always are (a silent logger drops them): a refused entry is reported through them.
 */
function grpcVerbosity(level: string): grpc.logVerbosity {
  if (level === 'trace' || level === 'debug') return grpc.logVerbosity.DEBUG;
  if (level === 'info') return grpc.logVerbosity.INFO;
  return grpc.logVerbosity.ERROR;
}

function refusedMetadataReporter(logger: LibraryLogger, options: LibraryLogOptions) {
  const now = options.now ?? Date.now;
  let lastLine = Number.NEGATIVE_INFINITY;
  let notLogged = 0;
  return (key: string) => {
    if (key === CANARY_HEADER) options.onRefusedCanaryKey?.();
    const at = now();
    if (at - lastLine < REFUSED_METADATA_LOG_INTERVAL_MS) {
      notLogged += 1;
      return;
    }
    // A peer sent it: say which key (when it is a valid one), never the value.
    logger.warn(
      {
        lib: 'grpc-js',
        key: LOGGABLE_KEY.test(key) ? key : '(not a valid metadata key)',
        ...(notLogged > 0 ? { alsoDroppedSinceLastLine: notLogged } : {}),
      },
      REFUSED_METADATA_MESSAGE,
    );
    lastLine = at;
    notLogged = 0;
  };
}

function grpcLine(
  logger: LibraryLogger,
  level: 'error' | 'info' | 'debug',
  reportRefused: (key: string) => void,
) {
  return (message?: unknown, ...params: unknown[]) => {
    const text = format(message, ...params);
    const refused = REFUSED_METADATA.exec(text);
    if (refused) reportRefused(refused[1] ?? '');
    else logger[level]({ lib: 'grpc-js' }, safeText(text));
  };
}

/** Sends grpc-js's own log lines to `logger` (levels mapped, text sanitised and cut). */
export function routeLibraryLogs(logger: LibraryLogger, options: LibraryLogOptions = {}): void {
  const reportRefused = refusedMetadataReporter(logger, options);
  grpc.setLogger({
    error: grpcLine(logger, 'error', reportRefused),
    info: grpcLine(logger, 'info', reportRefused),
    debug: grpcLine(logger, 'debug', reportRefused),
  });
  grpc.setLogVerbosity(grpcVerbosity(logger.level));
}
