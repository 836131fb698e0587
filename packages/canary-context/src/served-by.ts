/**
 * The served-by chain: an RFC 8941 structured-field list, one member per hop, e.g.
 * `api-service;track="pr-42";version="0.4.0", store-service;track="stable";version="0.4.0"`.
 * Pure; no Node-only imports.
 */

export interface ServedByEntry {
  service: string;
  track: string;
  version: string;
}

/** Values longer than this are ignored entirely by {@link parseServedBy} (a chain is a few hops). */
export const MAX_SERVED_BY_LENGTH = 4096;
/** At most this many members are kept by {@link parseServedBy}. */
export const MAX_SERVED_BY_ENTRIES = 16;
const MAX_FIELD_LENGTH = 128;

/** RFC 8941 sf-token. */
const TOKEN_PATTERN = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/;
/** Printable ASCII, as allowed inside an sf-string. */
const PRINTABLE_PATTERN = /^[\x20-\x7e]*$/;

/** Formats the chain; throws a TypeError for an entry that cannot be encoded (a programming error). */
export function formatServedBy(entries: readonly ServedByEntry[]): string {
  return entries.map(formatMember).join(', ');
}

/**
 * Formatted members of frozen entries (an instance's own entry, parsed downstream entries): the same
 * few entries are formatted on every request, so each is validated and formatted once.
 */
const formattedMembers = new WeakMap<ServedByEntry, string>();

function formatMember(entry: ServedByEntry): string {
  const cached = formattedMembers.get(entry);
  if (cached !== undefined) return cached;
  if (!isValidEntry(entry)) {
    throw new TypeError('served-by entry needs a token service name and printable ASCII track/version');
  }
  const member = `${entry.service};track=${quote(entry.track)};version=${quote(entry.version)}`;
  if (Object.isFrozen(entry)) formattedMembers.set(entry, member);
  return member;
}

/** Whether an entry can be written to (and read back from) a served-by list. */
export function isValidEntry(entry: ServedByEntry): boolean {
  return (
    entry.service.length <= MAX_FIELD_LENGTH &&
    TOKEN_PATTERN.test(entry.service) &&
    isPrintableField(entry.track) &&
    isPrintableField(entry.version)
  );
}

function isPrintableField(value: string): boolean {
  return value.length <= MAX_FIELD_LENGTH && PRINTABLE_PATTERN.test(value);
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Parses a served-by list leniently: malformed members (and members without `track` and `version`)
 * are skipped, the rest are kept in order. Over-long values yield no entries.
 */
export function parseServedBy(value: string | undefined): ServedByEntry[] {
  if (value === undefined || value.length > MAX_SERVED_BY_LENGTH) return [];
  const entries: ServedByEntry[] = [];
  for (const member of splitOutsideQuotes(value, ',')) {
    const entry = parseMember(member);
    if (entry) entries.push(entry);
    if (entries.length === MAX_SERVED_BY_ENTRIES) break;
  }
  return entries;
}

function parseMember(member: string): ServedByEntry | undefined {
  const [head, ...paramTexts] = splitOutsideQuotes(member, ';').map((part) => part.trim());
  if (!head || !TOKEN_PATTERN.test(head)) return undefined;
  const params = new Map<string, string>();
  for (const text of paramTexts) {
    const param = parseParam(text);
    if (!param) return undefined;
    params.set(param[0], param[1]);
  }
  const track = params.get('track');
  const version = params.get('version');
  if (track === undefined || version === undefined) return undefined;
  const entry = { service: head, track, version };
  return isValidEntry(entry) ? Object.freeze(entry) : undefined;
}

function parseParam(text: string): [string, string] | undefined {
  const eq = text.indexOf('=');
  if (eq <= 0) return undefined;
  const name = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  if (!/^[a-z*][a-z0-9_\-.*]*$/.test(name)) return undefined;
  const value = raw.startsWith('"') ? unquote(raw) : TOKEN_PATTERN.test(raw) ? raw : undefined;
  return value === undefined ? undefined : [name, value];
}

function unquote(raw: string): string | undefined {
  if (raw.length < 2 || !raw.endsWith('"')) return undefined;
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    const c = raw[i] as string;
    if (c === '"') return undefined;
    if (c === '\\') {
      if (i + 1 >= raw.length - 1) return undefined;
      const next = raw[++i];
      if (next !== '"' && next !== '\\') return undefined;
      out += next;
    } else {
      out += c;
    }
  }
  return out;
}

/** Splits on a separator that is not inside a quoted string (backslash escapes honoured). */
function splitOutsideQuotes(value: string, separator: ',' | ';'): string[] {
  const parts: string[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (inQuotes && c === '\\') i++;
    else if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && c === separator) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}
