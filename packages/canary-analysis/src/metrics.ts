/**
 * What a verdict reads at each hop, written once: the series (the services' own `pr_canary_*` metrics,
 * as canary-context defines them), what counts as an error there, and the absolute gates the Flagger
 * Canaries put on the same series for stable releases. The Flagger MetricTemplates, the Grafana
 * dashboard and the PromQL below use these names and error matchers; tests check that they agree.
 */
import { GRPC_SERVER_FAULT_CODES } from '@pr-canary/contracts/grpc-faults';
import { nodeServices, type Protocol } from '@pr-canary/contracts/services';

export type { Protocol };

export interface MetricFamily {
  protocol: Protocol;
  /** Counter of answered requests / completed calls. */
  requests: string;
  /** Histogram (seconds) of the same requests. */
  duration: string;
  /** The label that says whether a request failed, and the values that count as a failure. */
  errorLabel: string;
  /** A PromQL regular expression over `errorLabel` (fully anchored, as `=~` is). */
  errorPattern: string;
}

/** gRPC codes that are the server's fault (`@pr-canary/contracts/grpc-faults`); the rest are answers. */
export { GRPC_SERVER_FAULT_CODES };

export const METRIC_FAMILIES: Readonly<Record<Protocol, MetricFamily>> = {
  http: {
    protocol: 'http',
    requests: 'pr_canary_http_requests_total',
    duration: 'pr_canary_http_request_duration_seconds',
    errorLabel: 'status_code',
    errorPattern: '5..',
  },
  grpc: {
    protocol: 'grpc',
    requests: 'pr_canary_grpc_server_handled_total',
    duration: 'pr_canary_grpc_server_handling_seconds',
    errorLabel: 'grpc_code',
    errorPattern: GRPC_SERVER_FAULT_CODES.join('|'),
  },
};

/** Whether a label value counts as an error for the family (the same test PromQL's `=~` makes). */
export function isErrorValue(family: MetricFamily, value: string): boolean {
  return new RegExp(`^(?:${family.errorPattern})$`).test(value);
}

/** An HTTP status seen by a client (0 = no answer at all) counts as an error as the api's metric counts it. */
export function isHttpError(status: number): boolean {
  return status === 0 || (status >= 500 && status <= 599);
}

/**
 * The gates of a Flagger Canary of a service of each protocol (manifests/components/progressive-delivery),
 * written once: the scaffold (tools/new-service) writes a new service's Canary from them, the verdict
 * reports them, and test/agreement.test.ts holds every Canary there to them.
 */
export interface ProtocolGates {
  errorRate: { template: string; maxPercent: number };
  latencyP99: { template: string; maxMs: number };
}

export const PROTOCOL_GATES: Readonly<Record<Protocol, ProtocolGates>> = {
  http: {
    errorRate: { template: 'http-error-rate', maxPercent: 1 },
    latencyP99: { template: 'http-latency-p99', maxMs: 500 },
  },
  grpc: {
    errorRate: { template: 'grpc-error-rate', maxPercent: 1 },
    latencyP99: { template: 'grpc-latency-p99', maxMs: 250 },
  },
};

/** The Flagger Canary's analysis of one service: its protocol's gates. */
export interface FlaggerGates extends ProtocolGates {
  service: string;
  protocol: Protocol;
}

/**
 * Every service production rolls out through a Flagger Canary: each Node service of the registry (the
 * ones that export the `pr_canary_*` series; the static web bundle has none), with its protocol's gates.
 */
export const FLAGGER_GATES: readonly FlaggerGates[] = nodeServices().map((service) => ({
  service: service.name,
  protocol: service.protocol,
  ...PROTOCOL_GATES[service.protocol],
}));
