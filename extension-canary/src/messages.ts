/**
 * Messages between the popup and the service worker. The worker checks every message's shape before
 * acting on it, even though only the extension's own pages can send one.
 */
import { type CanaryState, type Command, parseWebUi } from './state';

export type PopupRequest = { type: 'get-view' } | { type: 'command'; command: Command };

/** What the popup shows: the state and whether the header is being sent right now. */
export interface View {
  state: CanaryState;
  injecting: boolean;
}

export type PopupResponse = { ok: true; view: View } | { ok: false; message: string; view: View };

const MAX_TEXT_LENGTH = 2048;
/** More than the origin limit, so the state (not the message check) says what is too many. */
const MAX_BATCH = 32;

export function parsePopupRequest(raw: unknown): PopupRequest | undefined {
  if (!isRecord(raw)) return undefined;
  if (raw.type === 'get-view') return { type: 'get-view' };
  if (raw.type !== 'command') return undefined;
  const command = parseCommand(raw.command);
  return command ? { type: 'command', command } : undefined;
}

function parseCommand(raw: unknown): Command | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case 'turn-on':
      return isText(raw.pr) && typeof raw.expiryHours === 'number'
        ? { type: 'turn-on', pr: raw.pr, expiryHours: raw.expiryHours }
        : undefined;
    case 'turn-off':
      return { type: 'turn-off' };
    case 'add-origin':
      return isText(raw.origin) ? { type: 'add-origin', origin: raw.origin } : undefined;
    case 'add-origins': {
      if (!Array.isArray(raw.origins) || raw.origins.length > MAX_BATCH || !raw.origins.every(isText))
        return undefined;
      if (raw.webUi === undefined) return { type: 'add-origins', origins: [...raw.origins] };
      const webUi = parseWebUi(raw.webUi);
      return webUi ? { type: 'add-origins', origins: [...raw.origins], webUi } : undefined;
    }
    case 'replace-origin':
      return isText(raw.from) && isText(raw.to)
        ? { type: 'replace-origin', from: raw.from, to: raw.to }
        : undefined;
    case 'remove-origin':
      return isText(raw.origin) ? { type: 'remove-origin', origin: raw.origin } : undefined;
    default:
      return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TEXT_LENGTH;
}
