/**
 * What the local stack (and the bench) need to know of tracing's environment, in a module with no
 * imports, so that they read it without loading telemetry.
 *
 * `PR_CANARY_TRACES_URL`: set by the local stack (`npm start`) for every service, the OTLP/HTTP traces
 * URL of its trace receiver. Spans go there in addition to whatever `OTEL_*` configures (e.g. a Tempo
 * or Jaeger collector), so the route inspector's waterfall works with or without an external collector.
 */
export const LOCAL_TRACES_URL_VARIABLE = 'PR_CANARY_TRACES_URL';

/** Whether `value` is an http(s) URL: what an OTLP/HTTP endpoint, and the local receiver's URL, must be. */
export function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}

/**
 * The `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` variables that are set but not an http(s) URL: the OTLP
 * exporter then sends, without a word, to its default, http://localhost:4318.
 */
export function invalidOtlpEndpointVariables(env: Record<string, string | undefined>): string[] {
  return ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'].filter((variable) => {
    const url = env[variable]?.trim();
    return url && !isHttpUrl(url);
  });
}
