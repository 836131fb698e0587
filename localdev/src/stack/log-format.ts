/**
 * Turns one output line of a child (pino JSON or plain text) into one readable line.
 * Child output is our own services' logs, but it is still cleaned of control characters and capped in
 * length before it reaches the terminal.
 */

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields every service line carries; the prefix already says who is talking. */
const IDENTITY_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'service', 'track', 'version', 'msg']);
const MAX_LINE_LENGTH = 2_000;
const MAX_FIELD_LENGTH = 300;

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
const ANSI_SEQUENCE = /\u001b\[[0-9;?]*[A-Za-z]/g;

export interface ParsedLine {
  /** pino level number, when the line was JSON. */
  level: number | undefined;
  text: string;
  json: Record<string, unknown> | undefined;
}

function cleanText(raw: string): string {
  const text = raw.replace(ANSI_SEQUENCE, '').replace(CONTROL_CHARACTERS, '');
  return text.length > MAX_LINE_LENGTH ? `${text.slice(0, MAX_LINE_LENGTH)}…` : text;
}

export function parseLine(raw: string): ParsedLine {
  const json = tryParseObject(raw);
  if (!json) return { level: undefined, text: cleanText(raw), json: undefined };
  const level = typeof json.level === 'number' ? json.level : undefined;
  return { level, text: cleanText(formatJsonLine(json, level)), json };
}

function formatJsonLine(json: Record<string, unknown>, level: number | undefined): string {
  const levelName = level === undefined ? '' : `${LEVEL_NAMES[level] ?? String(level)} `;
  const fields = Object.entries(json)
    .filter(([name]) => !IDENTITY_FIELDS.has(name))
    .map(([name, value]) => `${name}=${formatValue(value)}`);
  return [`${levelName}${String(json.msg ?? '')}`, ...fields].join(' ');
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_FIELD_LENGTH ? `${text.slice(0, MAX_FIELD_LENGTH)}…` : text;
}

function tryParseObject(raw: string): Record<string, unknown> | undefined {
  if (!raw.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
