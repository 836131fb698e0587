/**
 * gRPC status codes that are the server's fault (the rest — NOT_FOUND, INVALID_ARGUMENT, … — are
 * answers to the caller's request). Written once: canary-analysis counts these as a hop's errors (and
 * the Flagger MetricTemplate and the dashboard match exactly this set), and canary-context's injected
 * faults answer only with these, so that every injected fault counts as an error.
 */
export const GRPC_SERVER_FAULT_CODES = [
  'UNKNOWN',
  'INTERNAL',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'DATA_LOSS',
  'UNIMPLEMENTED',
] as const;

export type GrpcServerFaultCode = (typeof GRPC_SERVER_FAULT_CODES)[number];

/** Whether a gRPC status name is one of the server's own faults (the span, the verdict, a fault spec). */
export function isGrpcServerFault(name: string): name is GrpcServerFaultCode {
  return (GRPC_SERVER_FAULT_CODES as readonly string[]).includes(name);
}
