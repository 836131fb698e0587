/** The one dynalite starter, shared with the local stack. */
export { type DynaliteOptions, type RunningDynalite, startDynalite } from '@pr-canary/local-kit';
export { seededRandom } from '@pr-canary/local-kit/seeded-random';
export { closedAfter } from './closed-after';
export { freePort, freePorts } from './free-port';
export { logLines } from './log-lines';
export { type ListeningServer, listenOnLoopback } from './loopback-server';
export {
  type OtlpReceiver,
  type ReceivedSpan,
  SPAN_KIND_CLIENT,
  SPAN_KIND_SERVER,
  startOtlpReceiver,
} from './otlp-receiver';
export { type RoutedApp, routeSchemaProblems } from './route-schemas';
export {
  type LogLine,
  listeningPort,
  loadedPackages,
  SERVICE_PRELOAD,
  SERVICE_PRELOAD_REPORTING_PACKAGES,
  type ServiceProcess,
  type ServiceProcessOptions,
  startServiceProcess,
} from './service-process';
export { storeServiceEnv } from './store-env';
export { waitUntil } from './wait-until';
