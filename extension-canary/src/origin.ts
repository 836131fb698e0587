/**
 * Origins the tester chooses. An origin is `scheme://host[:port]` as the browser serialises it
 * (lowercase host, default port omitted), http or https only. One origin = one injection rule and one
 * host permission, so the port is part of the identity: `http://localhost:3000` is not `http://localhost:8080`.
 */

export type OriginResult = { ok: true; origin: string } | { ok: false; message: string };

const MAX_ORIGIN_INPUT_LENGTH = 2048;
const SUPPORTED_PROTOCOLS = new Set(['http:', 'https:']);

/**
 * Turns what a tester typed (or a tab's URL) into an origin. A path, query or fragment is dropped;
 * a missing scheme, credentials, wildcards and non-web schemes are refused with a fixed message.
 */
export function normalizeOrigin(input: string): OriginResult {
  const text = input.trim();
  if (text.length === 0) return refuse('Enter an origin such as https://api.example.com');
  if (text.length > MAX_ORIGIN_INPUT_LENGTH) return refuse('That origin is too long');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return refuse('Start the origin with http:// or https://');
  const url = parseUrl(text);
  return url ? originFromUrl(url) : refuse('That is not a valid origin');
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function originFromUrl(url: URL): OriginResult {
  if (!SUPPORTED_PROTOCOLS.has(url.protocol))
    return refuse('Only http:// and https:// origins are supported');
  if (url.username !== '' || url.password !== '')
    return refuse('An origin must not contain a user name or password');
  if (url.hostname === '') return refuse('That origin has no host');
  if (url.hostname.includes('*')) return refuse('Wildcards are not allowed: add each origin on its own');
  return { ok: true, origin: url.origin };
}

function refuse(message: string): OriginResult {
  return { ok: false, message };
}

/**
 * The host-permission match pattern covering exactly this origin. Chrome match patterns carry the
 * port when there is one; without a port they would match every port of the host.
 */
export function permissionPatternFor(origin: string): string {
  return `${origin}/*`;
}

/**
 * The declarativeNetRequest `urlFilter` matching every URL of this origin and nothing else:
 * left-anchored (`|`) and closed by the `/` that starts the path, so `http://a:80` never matches
 * `http://a:8080/` and `https://a.example` never matches `https://a.example.evil/`.
 */
export function urlFilterFor(origin: string): string {
  return `|${origin}/`;
}

/** The origin of a URL the browser reported (tab, request), or undefined for non-web URLs. */
export function originOfUrl(url: string | undefined): string | undefined {
  const parsed = url === undefined ? undefined : parseUrl(url);
  const result = parsed ? originFromUrl(parsed) : undefined;
  return result?.ok ? result.origin : undefined;
}
