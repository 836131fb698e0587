/**
 * The CORS headers of a real (not preflight) request's answer, as the api's CORS plugin
 * (@fastify/cors) gives them, written once for the answers it does not see: the api's own answers from
 * before any plugin hook (Fastify's frameworkErrors) and the dev router's own answers (503 for a canary
 * that is not running, 413, …), which pages the api allows must be able to read as well.
 *
 * The origin is echoed when it is allowed (with the headers a page may read, when given); `Vary:
 * Origin` whenever any origin is allowed, so a cache keeps one answer per origin.
 */
export function corsResponseHeaders(
  allowed: ReadonlySet<string>,
  origin: string | undefined,
  exposedHeaders?: string,
): Record<string, string> {
  if (allowed.size === 0) return {};
  if (origin === undefined || !allowed.has(origin)) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': origin,
    ...(exposedHeaders ? { 'access-control-expose-headers': exposedHeaders } : {}),
    vary: 'Origin',
  };
}
