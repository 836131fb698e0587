/**
 * Origins the tester chooses. An entry is either one origin, `scheme://host[:port]` as the browser
 * serialises it (lowercase host, default port omitted), or a wildcard `scheme://*.domain[:port]` for a
 * domain and all its subdomains (Chrome's match-pattern meaning of `*.`). http and https only. The port
 * is part of the identity: `http://localhost:3000` is not `http://localhost:8080`, and a wildcard without
 * a port covers the scheme's default port only.
 *
 * An entry also covers its WebSocket twin (http → ws, https → wss; same host and port): Chrome matches
 * a WebSocket handshake by its ws:// or wss:// URL, and only changes it with host access to that URL.
 * So one entry = one injection rule and one host permission per scheme of `schemesOf`.
 */

export type OriginResult =
  | {
      ok: true;
      origin: string /** The scheme that was added because the input had none. */;
      assumedScheme?: 'http' | 'https';
    }
  | { ok: false; message: string };

const MAX_ORIGIN_INPUT_LENGTH = 2048;
const SUPPORTED_PROTOCOLS = new Set(['http:', 'https:']);
const SCHEME_PREFIX = /^[a-z][a-z0-9+.-]*:\/\//i;
/**
 * Stands in for `*` while the URL parser checks the rest: browsers percent-encode `*` in a host
 * (`%2A`), Node does not, so the wildcard is taken off before parsing and put back after.
 */
const WILDCARD_LABEL = 'pr-canary-wildcard';
/** Lowercase DNS labels as the URL parser leaves them (IDNs are already punycode); the last has a letter. */
const DOMAIN = /^(?:[a-z0-9_-]+\.)*[a-z0-9_-]*[a-z][a-z0-9_-]*$/;

/**
 * Turns what a tester typed (or a tab's URL) into an entry. A path, query or fragment is dropped. Without
 * a scheme (`api.example.com`, as PR comments tend to say it) https is assumed, http for loopback hosts
 * (`localhost:8080`, `127.0.0.1:8080`); the result says so. Credentials, bare or misplaced wildcards
 * and non-web schemes are refused with a fixed message that never echoes the input.
 */
export function normalizeOrigin(input: string): OriginResult {
  const text = input.trim();
  if (text.length === 0) return refuse('Enter an origin such as https://api.example.com');
  if (text.length > MAX_ORIGIN_INPUT_LENGTH) return refuse('That origin is too long');
  if (SCHEME_PREFIX.test(text)) return parseOrigin(text);
  if (/^[a-z][a-z0-9+.-]*:(?!\d)/i.test(text)) {
    return refuse('Only http:// and https:// origins are supported');
  }
  const scheme = isLoopbackHostInput(text) ? 'http' : 'https';
  const result = parseOrigin(`${scheme}://${text.replace(/^\/\//, '')}`);
  return result.ok ? { ...result, assumedScheme: scheme } : result;
}

function parseOrigin(text: string): OriginResult {
  const leadingWildcard = /^([a-z][a-z0-9+.-]*:\/\/)\*(?=[.:/?#]|$)/i.exec(text);
  const url = parseUrl(
    leadingWildcard ? `${leadingWildcard[1]}${WILDCARD_LABEL}${text.slice(leadingWildcard[0].length)}` : text,
  );
  if (!url) return refuse('That is not a valid origin');
  return leadingWildcard ? wildcardFromUrl(url) : originFromUrl(url);
}

function isLoopbackHostInput(text: string): boolean {
  const host = (/^\[[^\]]*\]|^[^/:?#]*/.exec(text)?.[0] ?? '').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127(?:\.\d{1,3}){3}$/.test(host) ||
    host === '[::1]'
  );
}

export function parseUrl(text: string): URL | undefined {
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
  if (/\*|%2a/i.test(url.hostname)) {
    return refuse('A wildcard can only start the host name, as in https://*.example.com');
  }
  return { ok: true, origin: url.origin };
}

/**
 * `http://*.example.com[:port]` (parsed with the wildcard label in place of `*`): the domain and every
 * subdomain, like Chrome's `*.` match patterns.
 */
function wildcardFromUrl(url: URL): OriginResult {
  const checked = originFromUrl(url);
  if (!checked.ok) return checked;
  if (!url.hostname.startsWith(`${WILDCARD_LABEL}.`)) {
    return refuse('A wildcard must be followed by a domain, as in https://*.example.com');
  }
  const domain = url.hostname.slice(WILDCARD_LABEL.length + 1);
  if (!DOMAIN.test(domain) || (!domain.includes('.') && domain !== 'localhost')) {
    return refuse('A wildcard must be followed by a domain, as in https://*.example.com');
  }
  return { ok: true, origin: `${url.protocol}//*.${domain}${url.port ? `:${url.port}` : ''}` };
}

function refuse(message: string): OriginResult {
  return { ok: false, message };
}

interface ParsedEntry {
  protocol: string;
  /** The host, or for a wildcard the domain after `*.`. */
  host: string;
  /** Explicit port, '' for the scheme's default. */
  port: string;
  wildcard: boolean;
}

/** Splits a stored (already normalised) entry. */
function parseEntry(entry: string): ParsedEntry {
  const wildcard = isWildcard(entry);
  const url = new URL(wildcard ? entry.replace('://*.', `://${WILDCARD_LABEL}.`) : entry);
  const host = wildcard ? url.hostname.slice(WILDCARD_LABEL.length + 1) : url.hostname;
  return { protocol: url.protocol, host, port: url.port, wildcard };
}

export function isWildcard(entry: string): boolean {
  return entry.includes('://*.');
}

/** How a wildcard entry reads in words: "example.com and every subdomain" (+ the port when it has one). */
export function describeWildcard(entry: string): string {
  const { host, port } = parseEntry(entry);
  return `${host} and every subdomain${port ? `, port ${port} only` : ''}`;
}

/**
 * The entry as its page origin and as its WebSocket origin: `http://a:8080` → `ws://a:8080`,
 * `https://*.example.com` → `wss://*.example.com`. ws and wss have the same default ports (80, 443) as
 * http and https, so host and port carry over as written.
 */
export function schemesOf(entry: string): [page: string, webSocket: string] {
  const webSocket = entry.replace(/^http(s?):\/\//, 'ws$1://');
  if (webSocket === entry) throw new Error('not an http(s) entry');
  return [entry, webSocket];
}

/**
 * The host-permission match patterns for an entry, its page and its WebSocket scheme (Chrome match
 * patterns accept ws and wss). They carry the port when there is one; without a port they match every
 * port of the host (the rules stay narrower than the permission).
 */
export function permissionPatternsFor(entry: string): [page: string, webSocket: string] {
  const [page, webSocket] = schemesOf(entry);
  return [`${page}/*`, `${webSocket}/*`];
}

/** Which of the `granted` patterns no entry needs any more (`required` ones cannot be given back). */
export function unusedPermissionPatterns(
  granted: readonly string[],
  required: readonly string[],
  entries: readonly string[],
): string[] {
  const keep = new Set([...required, ...entries.flatMap(permissionPatternsFor)]);
  return granted.filter((pattern) => !keep.has(pattern));
}

/**
 * The declarativeNetRequest `urlFilter` matching every URL of this origin and nothing else:
 * left-anchored (`|`) and closed by the `/` that starts the path, so `http://a:80` never matches
 * `http://a:8080/` and `https://a.example` never matches `https://a.example.evil/`.
 */
export function urlFilterFor(origin: string): string {
  return `|${origin}/`;
}

/**
 * The condition part of a rule that selects the URLs of an entry (exact origin or wildcard), for one
 * scheme: call it with each of `schemesOf(entry)`.
 */
export function urlConditionFor(
  entry: string,
): Pick<chrome.declarativeNetRequest.RuleCondition, 'urlFilter' | 'regexFilter' | 'requestDomains'> {
  if (!isWildcard(entry)) return { urlFilter: urlFilterFor(entry) };
  const { protocol, host, port } = parseEntry(entry);
  // requestDomains matches the domain and its subdomains on any scheme and port; the regex pins the
  // scheme and the port (Chrome's URLs are canonical: lowercase host, default port omitted).
  const escaped = host.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  return {
    requestDomains: [host],
    regexFilter: `^${protocol}//([a-z0-9_-]+\\.)*${escaped}${port ? `:${port}` : ''}/`,
  };
}

/** Whether a request's origin (as `originOfUrl` gives it) is covered by an entry. */
export function entryCovers(entry: string, origin: string): boolean {
  if (!isWildcard(entry)) return entry === origin;
  const want = parseEntry(entry);
  const url = parseUrl(origin);
  if (!url || url.protocol !== want.protocol || url.port !== want.port) return false;
  return url.hostname === want.host || url.hostname.endsWith(`.${want.host}`);
}

/** The origin of a URL the browser reported (tab, request), or undefined for non-web URLs. */
export function originOfUrl(url: string | undefined): string | undefined {
  const parsed = url === undefined ? undefined : parseUrl(url);
  const result = parsed ? originFromUrl(parsed) : undefined;
  return result?.ok ? result.origin : undefined;
}
