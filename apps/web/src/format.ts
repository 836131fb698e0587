/** Prices are integer cents in the API and a plain decimal amount (two places) in the UI. */

/** Up to 14 whole digits: the API takes any price up to Number.MAX_SAFE_INTEGER cents (90071992547409.91). */
const PRICE_PATTERN = /^(\d{1,14})(?:[.,](\d{1,2}))?$/;

export function formatPrice(priceCents: number): string {
  const whole = Math.floor(priceCents / 100);
  const cents = String(priceCents % 100).padStart(2, '0');
  return `${whole.toLocaleString('en-US')}.${cents}`;
}

export type PriceParse = { ok: true; priceCents: number } | { ok: false; message: string };

/** "12", "12.5", "12.50" or "12,50" → cents. No signs, no thousands separators, at most two decimals. */
export function parsePrice(raw: string): PriceParse {
  const match = PRICE_PATTERN.exec(raw.trim());
  if (!match) return { ok: false, message: 'Enter a price such as 12.50 (digits, at most two decimals).' };
  const whole = Number(match[1]);
  const cents = Number((match[2] ?? '0').padEnd(2, '0'));
  const priceCents = whole * 100 + cents;
  if (!Number.isSafeInteger(priceCents)) return { ok: false, message: 'That price is too large.' };
  return { ok: true, priceCents };
}

/** The price as the edit form shows it (no thousands separators, so it parses back). */
export function priceInputValue(priceCents: number): string {
  return `${Math.floor(priceCents / 100)}.${String(priceCents % 100).padStart(2, '0')}`;
}

/** An RFC 3339 timestamp as a short local date and time; the raw text if it does not parse. */
export function formatTimestamp(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatClock(date: Date): string {
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
