import type { CanaryKey, InvalidReason } from '@pr-canary/contracts/canary-key';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { InstanceIdentity } from './identity';

export interface MetricDefinition {
  name: string;
  type: 'counter' | 'histogram' | 'gauge';
  help: string;
  labelNames: readonly string[];
}

const HTTP_LABELS = ['method', 'route', 'status_code', 'track', 'canary'] as const;
const GRPC_SERVER_LABELS = ['grpc_service', 'grpc_method', 'grpc_code', 'track', 'canary'] as const;
const GRPC_CLIENT_LABELS = ['grpc_service', 'grpc_method', 'grpc_code', 'track'] as const;
const INVALID_KEY_LABELS = ['source', 'reason', 'track'] as const;
const INJECTED_FAULT_LABELS = ['kind', 'track'] as const;

/** The single source of metric names and labels (dashboards and alerts are checked against it). */
export const METRIC_DEFINITIONS = [
  {
    name: 'pr_canary_http_requests_total',
    type: 'counter',
    help: 'HTTP requests answered, by route template',
    labelNames: HTTP_LABELS,
  },
  {
    name: 'pr_canary_http_request_duration_seconds',
    type: 'histogram',
    help: 'Time from receiving an HTTP request to sending its response',
    labelNames: HTTP_LABELS,
  },
  {
    name: 'pr_canary_grpc_server_handled_total',
    type: 'counter',
    help: 'gRPC calls completed by this server',
    labelNames: GRPC_SERVER_LABELS,
  },
  {
    name: 'pr_canary_grpc_server_handling_seconds',
    type: 'histogram',
    help: 'Time this server took to complete a gRPC call',
    labelNames: GRPC_SERVER_LABELS,
  },
  {
    name: 'pr_canary_grpc_client_handled_total',
    type: 'counter',
    help: 'gRPC calls made by this instance, by final status',
    labelNames: GRPC_CLIENT_LABELS,
  },
  {
    name: 'pr_canary_grpc_client_handling_seconds',
    type: 'histogram',
    help: 'Time from starting an outgoing gRPC call to its final status',
    labelNames: GRPC_CLIENT_LABELS,
  },
  {
    name: 'pr_canary_invalid_canary_key_total',
    type: 'counter',
    help: 'Requests that sent an invalid canary key (served as stable)',
    labelNames: INVALID_KEY_LABELS,
  },
  {
    name: 'pr_canary_injected_faults_total',
    type: 'counter',
    help: 'Faults injected on purpose (CANARY_FAULTS): errors, failed named calls, added latency',
    labelNames: INJECTED_FAULT_LABELS,
  },
] as const satisfies readonly MetricDefinition[];

type MetricName = (typeof METRIC_DEFINITIONS)[number]['name'];

/** The `canary` label: whether the request carried a key, and whether it was valid. */
export type CanaryLabel = 'present' | 'absent' | 'invalid';

export function canaryLabel(key: CanaryKey): CanaryLabel {
  return key.kind === 'valid' ? 'present' : key.kind;
}

export interface HttpObservation {
  method: string;
  route: string;
  statusCode: number;
  canary: CanaryLabel;
  seconds: number;
}

export interface GrpcObservation {
  service: string;
  method: string;
  code: string;
  seconds: number;
}

/** One instance's metrics: its own registry, with the fixed series and the default process metrics. */
export interface ServiceMetrics {
  readonly registry: Registry;
  recordHttpRequest(observation: HttpObservation): void;
  recordGrpcServerCall(observation: GrpcObservation & { canary: CanaryLabel }): void;
  recordGrpcClientCall(observation: GrpcObservation): void;
  countInvalidKey(source: 'http' | 'grpc', reason: InvalidReason): void;
  /** One injected fault (see FaultInjector's `onInjected`). */
  countInjectedFault(kind: 'error' | 'fail' | 'latency'): void;
}

/**
 * How often prom-client samples event-loop delay for `nodejs_eventloop_lag_*`. Its default, 10 ms, is a
 * timer waking an idle service ~100 times a second per registry. Once a second still catches every
 * stall that lasts a second or more (and shorter ones that overlap a sample) between two scrapes; the
 * dashboards and rollout analysis read only the series below.
 */
const EVENT_LOOP_SAMPLE_MS = 1000;

export function createServiceMetrics(opts: { identity: InstanceIdentity }): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const counter = (name: MetricName) => new Counter({ ...definition(name), registers: [registry] });
  const histogram = (name: MetricName) => new Histogram({ ...definition(name), registers: [registry] });
  /**
   * A request's counter is its histogram's `_count` under the same labels, copied at each scrape: a
   * request updates one series instead of two (hashing the labels is most of prom-client's cost).
   */
  const histogramWithCount = (name: MetricName, countName: MetricName) => {
    const timing = histogram(name);
    new Counter({
      ...definition(countName),
      registers: [registry],
      async collect() {
        const { values } = await timing.get();
        this.reset();
        for (const { metricName, labels, value } of values)
          if (metricName === `${name}_count`) this.inc(labels, value);
      },
    });
    return timing;
  };
  const httpDuration = histogramWithCount(
    'pr_canary_http_request_duration_seconds',
    'pr_canary_http_requests_total',
  );
  const serverHandling = histogramWithCount(
    'pr_canary_grpc_server_handling_seconds',
    'pr_canary_grpc_server_handled_total',
  );
  const clientHandling = histogramWithCount(
    'pr_canary_grpc_client_handling_seconds',
    'pr_canary_grpc_client_handled_total',
  );
  const invalidKeys = counter('pr_canary_invalid_canary_key_total');
  const injectedFaults = counter('pr_canary_injected_faults_total');
  const track = opts.identity.track;

  return {
    registry,
    recordHttpRequest({ method, route, statusCode, canary, seconds }) {
      const labels = { method, route, status_code: String(statusCode), track, canary };
      httpDuration.observe(labels, seconds);
    },
    recordGrpcServerCall({ service, method, code, canary, seconds }) {
      const labels = { grpc_service: service, grpc_method: method, grpc_code: code, track, canary };
      serverHandling.observe(labels, seconds);
    },
    recordGrpcClientCall({ service, method, code, seconds }) {
      const labels = { grpc_service: service, grpc_method: method, grpc_code: code, track };
      clientHandling.observe(labels, seconds);
    },
    countInvalidKey(source, reason) {
      invalidKeys.inc({ source, reason, track });
    },
    countInjectedFault(kind) {
      injectedFaults.inc({ kind, track });
    },
  };
}

function definition(name: MetricName): { name: string; help: string; labelNames: string[] } {
  const found = METRIC_DEFINITIONS.find((d) => d.name === name) as MetricDefinition;
  return { name: found.name, help: found.help, labelNames: [...found.labelNames] };
}
