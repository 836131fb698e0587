/**
 * Every error __service_name__ answers with is mapped here, once: the service's own error classes and
 * `toStatus`, which turns them into a gRPC status (`return callback(toStatus(error))`); anything else
 * is INTERNAL with a fixed message, never the error's own text (it is logged instead).
 */
import { type ServiceError, status } from '@grpc/grpc-js';

/** The request breaks a rule of the contract; `message` is fixed text, never an echo of the input. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
}

/** The logging `toStatus` needs; a pino logger fits. */
export interface ErrorLogger {
  error(fields: object, message: string): void;
}

export function toStatus(error: unknown, logger: ErrorLogger): Partial<ServiceError> {
  if (error instanceof InvalidArgumentError) return { code: status.INVALID_ARGUMENT, details: error.message };
  logger.error({ err: error }, 'call failed');
  return { code: status.INTERNAL, details: 'internal error' };
}
