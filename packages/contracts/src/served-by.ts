/**
 * The served-by chain: an RFC 8941 structured-field List, one member per hop, in request order, e.g.
 * `api-service;track="pr-42";version="0.4.0", store-service;track="stable";version="0.4.0"`:
 * each member an sf-token (the service) with the String parameters `track` and `version`.
 *
 * Reading and writing the wire format is the `structured-headers` library's (RFC 8941/9651); this
 * module only maps list members to entries and bounds what it accepts. Pure, no Node-only imports:
 * the extension and the web UI bundle it.
 */
import { isAscii, isValidTokenStr, type List, parseList, serializeItem, Token } from 'structured-headers';

export interface ServedByEntry {
  service: string;
  track: string;
  version: string;
}

/** Values longer than this are ignored entirely by {@link parseServedBy} (a chain is a few hops). */
export const MAX_SERVED_BY_LENGTH = 4096;
/** At most this many members are kept by {@link parseServedBy}. */
export const MAX_SERVED_BY_ENTRIES = 16;
/** Longest service name, track or version an entry may have. */
export const MAX_SERVED_BY_FIELD_LENGTH = 128;

/**
 * What a service's version (`SERVICE_VERSION`, the served-by `version`) may be: a service refuses to
 * start with anything else, and the local stack refuses it before it starts one.
 */
export const SERVICE_VERSION_PATTERN = /^[0-9A-Za-z.+_-]{1,64}$/;
export const SERVICE_VERSION_RULE = 'must be a version such as 0.4.0 or 0.4.0-pr.42+abc1234';

/**
 * What a service name looks like wherever text names one before it is looked up (a fault, the local
 * stack's control paths and instance list): a lowercase DNS label, anything else refused (and never
 * shown) as it stands.
 */
export const SERVICE_NAME_SHAPE = /^[a-z][a-z0-9-]{0,62}$/;

/** Whether an entry can be written to (and read back from) a served-by list. */
export function isValidEntry(entry: ServedByEntry): boolean {
  return (
    entry.service.length <= MAX_SERVED_BY_FIELD_LENGTH &&
    isValidTokenStr(entry.service) &&
    isPrintableField(entry.track) &&
    isPrintableField(entry.version)
  );
}

/** Whether an untrusted value (e.g. a hop read back from storage) is an entry {@link isValidEntry} accepts. */
export function isServedByEntry(value: unknown): value is ServedByEntry {
  if (typeof value !== 'object' || value === null) return false;
  const { service, track, version } = value as Record<string, unknown>;
  return (
    typeof service === 'string' &&
    typeof track === 'string' &&
    typeof version === 'string' &&
    isValidEntry({ service, track, version })
  );
}

/** An sf-string holds printable ASCII only. */
function isPrintableField(value: string): boolean {
  return value.length <= MAX_SERVED_BY_FIELD_LENGTH && isAscii(value);
}

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
  const member = serializeItem(
    new Token(entry.service),
    new Map([
      ['track', entry.track],
      ['version', entry.version],
    ]),
  );
  if (Object.isFrozen(entry)) formattedMembers.set(entry, member);
  return member;
}

/**
 * Reads a served-by list (several header lines or metadata values joined with `, ` first, as RFC 9110
 * combines them). A value that is not an RFC 8941 List yields nothing (RFC 8941 §4.2: the whole field is
 * ignored); of a well-formed list, members that are no served-by entry (no token, no String or Token
 * `track` and `version`, an inner list, over-long fields) are skipped and the rest kept in order.
 * Over-long values yield nothing; at most {@link MAX_SERVED_BY_ENTRIES} entries are kept.
 */
export function parseServedBy(value: string | undefined): ServedByEntry[] {
  if (value === undefined || value.length > MAX_SERVED_BY_LENGTH) return [];
  let members: List;
  try {
    members = parseList(value);
  } catch {
    return [];
  }
  const entries: ServedByEntry[] = [];
  for (const member of members) {
    const entry = entryOf(member);
    if (entry) entries.push(entry);
    if (entries.length === MAX_SERVED_BY_ENTRIES) break;
  }
  return entries;
}

function entryOf(member: List[number]): ServedByEntry | undefined {
  const [head, params] = member;
  if (!(head instanceof Token)) return undefined;
  const track = textOf(params.get('track'));
  const version = textOf(params.get('version'));
  if (track === undefined || version === undefined) return undefined;
  const entry = { service: head.toString(), track, version };
  return isValidEntry(entry) ? Object.freeze(entry) : undefined;
}

/** A parameter value written as an sf-string (what {@link formatServedBy} writes) or an sf-token. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return value instanceof Token ? value.toString() : undefined;
}
