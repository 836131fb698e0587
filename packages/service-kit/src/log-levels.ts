/**
 * The levels LOG_LEVEL takes (pino's, and `silent`), in a module with no imports: every service's
 * configuration reads them, and the local stack checks the variable it passes on to every service
 * before it builds or starts anything.
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** Whether `text` is a level LOG_LEVEL takes (as written: `DEBUG` is not). */
export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}
