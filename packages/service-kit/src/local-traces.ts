/**
 * Set by the local stack (`npm start`) for every service: the OTLP/HTTP traces URL of its trace
 * receiver. Spans go there in addition to whatever `OTEL_*` configures (e.g. a Tempo or Jaeger
 * collector), so the route inspector's waterfall works with or without an external collector. A module
 * of its own, with no imports, so that the stack (and the bench) name it without loading telemetry.
 */
export const LOCAL_TRACES_URL_VARIABLE = 'PR_CANARY_TRACES_URL';
