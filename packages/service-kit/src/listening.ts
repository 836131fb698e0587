import type pino from 'pino';

/** The IPC message a service sends its supervisor once it listens (see {@link announceListening}). */
export interface ListeningMessage {
  type: 'pr-canary:listening';
  port: number;
  /** The metrics (and admin) port, when the service has one. */
  metricsPort?: number;
}

/**
 * Announces that the service listens: the `listening` log line (at info, so `LOG_LEVEL=warn` hides
 * it) and, when a supervisor started this process with an IPC channel (the local stack does), a
 * {@link ListeningMessage} — so readiness never depends on the log level.
 */
export function announceListening(
  logger: Pick<pino.Logger, 'info'>,
  fields: { port: number; metricsPort?: number } & Record<string, unknown>,
): void {
  logger.info(fields, 'listening');
  if (typeof process.send === 'function' && process.connected) {
    const message: ListeningMessage = { type: 'pr-canary:listening', port: fields.port };
    if (fields.metricsPort !== undefined) message.metricsPort = fields.metricsPort;
    process.send(message);
  }
}

/** Whether an IPC message from a child is a {@link ListeningMessage} with a usable port. */
export function isListeningMessage(message: unknown): message is ListeningMessage {
  const candidate = message as Partial<ListeningMessage> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.type === 'pr-canary:listening' &&
    Number.isInteger(candidate.port) &&
    (candidate.port as number) > 0 &&
    (candidate.port as number) <= 65_535
  );
}
