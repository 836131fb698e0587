/**
 * Where the API lives. First match wins:
 * 1. `?api=<http(s) URL>` in the page URL (for trying another stack without a rebuild),
 * 2. `apiUrl` in `/config.json` next to index.html (mounted at deploy time; the image stays immutable),
 * 3. `VITE_API_URL` at build or dev-server time,
 * 4. {@link DEFAULT_API_URL}.
 * A value that is not an http(s) URL is ignored with a notice, never used.
 */

export const DEFAULT_API_URL = 'http://localhost:8080';

export type ApiUrlSource = 'query' | 'config.json' | 'VITE_API_URL' | 'default';

export interface ResolvedApiUrl {
  url: string;
  source: ApiUrlSource;
  /** Human-readable reasons why a configured value was skipped. */
  notices: string[];
}

export interface ApiUrlCandidates {
  query: string | null;
  runtimeConfig: string | undefined;
  buildTime: string | undefined;
}

/** An absolute http(s) URL without credentials, query or fragment, with no trailing slash; else undefined. */
export function parseApiUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function resolveApiUrl(candidates: ApiUrlCandidates): ResolvedApiUrl {
  const ordered: [ApiUrlSource, string | null | undefined, string][] = [
    ['query', candidates.query, 'the ?api= parameter'],
    ['config.json', candidates.runtimeConfig, 'apiUrl in config.json'],
    ['VITE_API_URL', candidates.buildTime, 'VITE_API_URL'],
  ];
  const notices: string[] = [];
  for (const [source, raw, label] of ordered) {
    if (raw === null || raw === undefined || raw === '') continue;
    const url = parseApiUrl(raw);
    if (url) return { url, source, notices };
    notices.push(`Ignored ${label}: it must be an absolute http:// or https:// URL without credentials.`);
  }
  return { url: DEFAULT_API_URL, source: 'default', notices };
}

/** Thrown when /config.json exists but is not what a deployment should mount. */
export class RuntimeConfigError extends Error {
  override name = 'RuntimeConfigError';
}

/** Validates the parsed body of /config.json: `{ "apiUrl"?: string }`, nothing else. */
export function parseRuntimeConfig(value: unknown): { apiUrl: string | undefined } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RuntimeConfigError(
      'config.json must be a JSON object such as {"apiUrl": "https://api.example.com"}',
    );
  }
  const unknownKeys = Object.keys(value).filter((key) => key !== 'apiUrl');
  if (unknownKeys.length > 0) {
    throw new RuntimeConfigError('config.json may only contain "apiUrl"');
  }
  const apiUrl = (value as { apiUrl?: unknown }).apiUrl;
  if (apiUrl !== undefined && typeof apiUrl !== 'string') {
    throw new RuntimeConfigError('config.json "apiUrl" must be a string');
  }
  return { apiUrl };
}

/**
 * Fetches the optional runtime config. A missing file (404) or an HTML fallback page means "no runtime
 * config"; a file that is there but malformed is an error the page shows.
 */
export async function loadRuntimeConfig(
  url: URL,
  fetchFn: typeof fetch = fetch,
): Promise<string | undefined> {
  const response = await fetchFn(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
  const contentType = response.headers.get('content-type') ?? '';
  if (response.status === 404 || (response.ok && !contentType.includes('json'))) return undefined;
  if (!response.ok) throw new RuntimeConfigError(`config.json could not be loaded (HTTP ${response.status})`);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new RuntimeConfigError('config.json is not valid JSON');
  }
  return parseRuntimeConfig(body).apiUrl;
}
