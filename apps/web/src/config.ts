/**
 * Where the API lives. First match wins:
 * 1. `?api=<http(s) URL>` in the page URL (for trying another stack without a rebuild),
 * 2. `apiUrl` in `/config.json` next to index.html (mounted at deploy time; the image stays immutable),
 * 3. `VITE_API_URL` at build or dev-server time,
 * 4. {@link DEFAULT_API_URL}.
 * A value that is not an http(s) URL is ignored with a notice, never used.
 */
import { LOCAL_API_URL } from '@pr-canary/contracts/local-stack';

export const DEFAULT_API_URL = LOCAL_API_URL;

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

export interface RuntimeConfig {
  apiUrl: string | undefined;
  /** The trace receiver's base URL (what `npm start` runs), for the route inspector's waterfall. */
  tracesUrl: string | undefined;
  /** The local stack's control endpoint (what `npm start` runs), for PR verdicts. */
  stackUrl: string | undefined;
}

const RUNTIME_CONFIG_KEYS = ['apiUrl', 'tracesUrl', 'stackUrl'] as const;

/**
 * Validates the parsed body of /config.json: `{ "apiUrl"?: string, "tracesUrl"?: string,
 * "stackUrl"?: string }`, nothing else.
 */
export function parseRuntimeConfig(value: unknown): RuntimeConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RuntimeConfigError(
      'config.json must be a JSON object such as {"apiUrl": "https://api.example.com"}',
    );
  }
  const unknownKeys = Object.keys(value).filter(
    (key) => !(RUNTIME_CONFIG_KEYS as readonly string[]).includes(key),
  );
  if (unknownKeys.length > 0) {
    throw new RuntimeConfigError('config.json may only contain "apiUrl", "tracesUrl" and "stackUrl"');
  }
  const fields = value as Record<string, unknown>;
  for (const key of RUNTIME_CONFIG_KEYS) {
    if (fields[key] !== undefined && typeof fields[key] !== 'string')
      throw new RuntimeConfigError(`config.json "${key}" must be a string`);
  }
  return {
    apiUrl: fields.apiUrl as string | undefined,
    tracesUrl: fields.tracesUrl as string | undefined,
    stackUrl: fields.stackUrl as string | undefined,
  };
}

export interface ResolvedTracesUrl {
  /** null: no trace receiver configured (the waterfall says so). */
  url: string | null;
  notices: string[];
}

/**
 * Where the trace receiver is, first match wins: `?traces=`, `tracesUrl` in config.json,
 * `VITE_TRACES_URL` (what `npm start` sets). No default: a deployed UI has no local receiver.
 */
export function resolveTracesUrl(candidates: ApiUrlCandidates): ResolvedTracesUrl {
  const ordered: [string | null | undefined, string][] = [
    [candidates.query, 'the ?traces= parameter'],
    [candidates.runtimeConfig, 'tracesUrl in config.json'],
    [candidates.buildTime, 'VITE_TRACES_URL'],
  ];
  const notices: string[] = [];
  for (const [raw, label] of ordered) {
    if (raw === null || raw === undefined || raw === '') continue;
    const url = parseApiUrl(raw);
    if (url) return { url, notices };
    notices.push(`Ignored ${label}: it must be an absolute http:// or https:// URL without credentials.`);
  }
  return { url: null, notices };
}

/**
 * Fetches the optional runtime config. A missing file (404) or an HTML fallback page means "no runtime
 * config"; a file that is there but malformed is an error the page shows.
 */
export async function loadRuntimeConfig(
  url: URL,
  fetchFn: typeof fetch = fetch,
): Promise<RuntimeConfig | undefined> {
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
  return parseRuntimeConfig(body);
}
