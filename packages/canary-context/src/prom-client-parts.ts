/**
 * prom-client without its index. `require('prom-client')` loads every part of it: the Pushgateway
 * (node:http, https, url), the cluster aggregator (node:cluster) and, through its process CPU metric
 * (for exemplars), the OpenTelemetry API — 56–77 ms of each service's start-up on this 2-core VM,
 * where the parts used here take ~17 ms. So the registry, the counter and each default metric are
 * required from their own files, and the process CPU counters are made here: the same three series,
 * without exemplars (none are enabled here). prom-client 15 has no `exports` map, so its files are
 * reachable; an upgrade that moves or adds one fails test/metrics.test.ts, which compares the scrape
 * with what prom-client's own `collectDefaultMetrics` registers.
 */
import type * as PromClient from 'prom-client';

export const Registry = require('prom-client/lib/registry') as typeof PromClient.Registry;
export type Registry = PromClient.Registry;
export const Counter = require('prom-client/lib/counter') as typeof PromClient.Counter;
export type Counter = PromClient.Counter;

type DefaultMetricsConfig = PromClient.DefaultMetricsCollectorConfiguration<PromClient.RegistryContentType>;
type DefaultMetric = (registry: Registry | undefined, config: DefaultMetricsConfig) => void;

/** prom-client's default metrics (lib/defaultMetrics.js), its process CPU counters aside. */
const DEFAULT_METRICS: DefaultMetric[] = [
  require('prom-client/lib/metrics/processStartTime'),
  require('prom-client/lib/metrics/osMemoryHeap'),
  require('prom-client/lib/metrics/processOpenFileDescriptors'),
  require('prom-client/lib/metrics/processMaxFileDescriptors'),
  require('prom-client/lib/metrics/eventLoopLag'),
  // As prom-client: only where Node can list active resources.
  ...(typeof process.getActiveResourcesInfo === 'function'
    ? [require('prom-client/lib/metrics/processResources') as DefaultMetric]
    : []),
  require('prom-client/lib/metrics/processHandles'),
  require('prom-client/lib/metrics/processRequests'),
  require('prom-client/lib/metrics/heapSizeAndUsed'),
  require('prom-client/lib/metrics/heapSpacesSizeAndUsed'),
  require('prom-client/lib/metrics/version'),
  require('prom-client/lib/metrics/gc'),
];

/** What prom-client's `collectDefaultMetrics(config)` registers, with `config.register` required. */
export function collectDefaultMetrics(config: DefaultMetricsConfig & { register: Registry }): void {
  const withDefaults = { eventLoopMonitoringPrecision: 10, ...config };
  registerProcessCpuCounters(withDefaults.register);
  for (const metric of DEFAULT_METRICS) metric(withDefaults.register, withDefaults);
}

const MICROS_PER_SECOND = 1e6;

/** `process_cpu_user_seconds_total`, `…_system_…` and `process_cpu_seconds_total`, brought up to date at each scrape. */
function registerProcessCpuCounters(registry: Registry): void {
  let last = process.cpuUsage();
  const registers = [registry];
  // The first counter's collect sets all three (the registry collects them in this order).
  const user: Counter = new Counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    registers,
    collect() {
      const now = process.cpuUsage();
      const userMicros = now.user - last.user;
      const systemMicros = now.system - last.system;
      last = now;
      user.inc(userMicros / MICROS_PER_SECOND);
      system.inc(systemMicros / MICROS_PER_SECOND);
      total.inc((userMicros + systemMicros) / MICROS_PER_SECOND);
    },
  });
  const system = new Counter({
    name: 'process_cpu_system_seconds_total',
    help: 'Total system CPU time spent in seconds.',
    registers,
  });
  const total = new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers,
  });
}
