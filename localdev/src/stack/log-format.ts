/**
 * Turns one output line of a child (pino JSON or plain text) into one readable line: JSON lines are
 * formatted by pino-pretty (`INFO: listening {"port":8081}`), without the fields every service line
 * carries (the prefix already says who is talking). Child output is our own services' logs, but it is
 * still cleaned of control characters and capped in length before it reaches the terminal; colour is
 * added afterwards by the prefixer, so nothing a child sends can colour or move the terminal.
 */
import { prettyFactory } from 'pino-pretty';

/** Fields every service line carries; the prefix already says who is talking. */
const IDENTITY_FIELDS = ['time', 'pid', 'hostname', 'service', 'track', 'version'];
const MAX_LINE_LENGTH = 2_000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
const ANSI_SEQUENCE = /\u001b\[[0-9;?]*[A-Za-z]/g;
const LINE_BREAKS = /[\r\n]+/g;

const pretty = prettyFactory({
  colorize: false,
  singleLine: true,
  ignore: IDENTITY_FIELDS.join(','),
  // An error stays on the line as JSON too: one output line is one terminal line under one prefix.
  errorLikeObjectKeys: [],
});

export interface ParsedLine {
  /** pino level number, when the line was JSON. */
  level: number | undefined;
  text: string;
  json: Record<string, unknown> | undefined;
}

function cleanText(raw: string): string {
  const text = raw.replace(ANSI_SEQUENCE, '').replace(CONTROL_CHARACTERS, '').replace(LINE_BREAKS, ' ');
  return text.length > MAX_LINE_LENGTH ? `${text.slice(0, MAX_LINE_LENGTH)}…` : text;
}

export function parseLine(raw: string): ParsedLine {
  const json = tryParseObject(raw);
  if (!json) return { level: undefined, text: cleanText(raw), json: undefined };
  const level = typeof json.level === 'number' ? json.level : undefined;
  return { level, text: cleanText(pretty(json).trimEnd()), json };
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
