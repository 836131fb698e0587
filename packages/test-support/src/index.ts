export { type DynaliteOptions, type RunningDynalite, startDynalite } from './dynalite';
export { freePort } from './free-port';
export {
  type OtlpReceiver,
  type ReceivedSpan,
  SPAN_KIND_CLIENT,
  SPAN_KIND_SERVER,
  startOtlpReceiver,
} from './otlp-receiver';
export { seededRandom } from './seeded-random';
export {
  type LogLine,
  listeningPort,
  type ServiceProcess,
  type ServiceProcessOptions,
  startServiceProcess,
} from './service-process';
export { waitUntil } from './wait-until';
