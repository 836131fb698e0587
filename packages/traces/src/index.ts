export * from './model';
export { cleanText, type DecodedExport, decodeOtlpJson, LIMITS, OtlpFormatError } from './otlp-json';
export {
  OTLP_TRACES_PATH,
  startTraceReceiver,
  type TraceReceiver,
  type TraceReceiverOptions,
} from './receiver';
export {
  DEFAULT_MAX_SPANS_PER_TRACE,
  DEFAULT_MAX_TRACES,
  TraceStore,
  type TraceStoreOptions,
} from './trace-store';
