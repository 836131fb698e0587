import { randomBytes } from 'node:crypto';

/**
 * Item ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter, then random
 * bits. Lower-case hex UUIDv7 strings sort in creation order, so the table's sort key (the id) lists
 * items oldest first. The counter keeps ids created in the same millisecond by this process in order.
 */
const ITEM_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAX_COUNTER = 0xfff;

let lastMs = 0;
let counter = 0;

/** True when `value` is a well-formed item id (a lower-case UUIDv7). */
export function isItemId(value: string): boolean {
  return ITEM_ID_PATTERN.test(value);
}

/** A new UUIDv7, greater than every id this process made before. */
export function newItemId(now: number = Date.now()): string {
  advanceClock(now);
  const bytes = randomBytes(16);
  writeMillis(bytes, lastMs);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function advanceClock(now: number): void {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (counter < MAX_COUNTER) {
    counter += 1;
  } else {
    lastMs += 1;
    counter = 0;
  }
}

function writeMillis(bytes: Buffer, ms: number): void {
  bytes.writeUIntBE(ms, 0, 6);
}
