import { parseCanaryKey } from '@pr-canary/contracts/canary-key';

/**
 * Which track the user wants to reach: stable (no `X-Canary`), or one PR's canary. Validated with the
 * same parser the services use, so the UI never sends a key the API would reject.
 */
export type PrChoice = { kind: 'stable' } | { kind: 'pr'; pr: string };

export const STABLE: PrChoice = Object.freeze({ kind: 'stable' });
const PR_QUERY_PARAM = 'pr';
export const PR_STORAGE_KEY = 'pr-canary.pr';

export type ChoiceParse = { ok: true; choice: PrChoice } | { ok: false; message: string };

/** What the user typed: empty means stable; otherwise it must be a valid PR number. */
export function parsePrInput(raw: string): ChoiceParse {
  if (raw.trim() === '') return { ok: true, choice: STABLE };
  const key = parseCanaryKey(raw);
  if (key.kind === 'valid') return { ok: true, choice: { kind: 'pr', pr: key.pr } };
  if (key.kind === 'invalid') return { ok: false, message: `Not a PR number: ${key.message}.` };
  return { ok: true, choice: STABLE };
}

export interface InitialChoice {
  choice: PrChoice;
  notice?: string;
}

/**
 * The choice at page load: `?pr=` wins over the remembered one. An invalid value anywhere falls back to
 * stable with a notice (the value itself is never echoed). `?pr=` given several times counts as the
 * API counts several `X-Canary` lines: one PR when every value names it, else none.
 */
export function initialChoice(search: URLSearchParams, stored: string | null): InitialChoice {
  const values = search.getAll(PR_QUERY_PARAM);
  if (new Set(values.map((value) => value.trim())).size > 1) {
    return {
      choice: STABLE,
      notice: `Ignored the ?pr= parameter: it is given ${values.length} times with different values. Using stable.`,
    };
  }
  const fromUrl = values[0] ?? null;
  const [raw, where] = fromUrl !== null ? [fromUrl, 'the ?pr= parameter'] : [stored, 'the remembered PR'];
  if (raw === null) return { choice: STABLE };
  const parsed = parsePrInput(raw);
  if (parsed.ok) return { choice: parsed.choice };
  return { choice: STABLE, notice: `Ignored ${where}. ${parsed.message} Using stable.` };
}

/** The page URL with `?pr=` set for a PR or removed for stable; everything else kept. */
export function urlWithChoice(href: string, choice: PrChoice): string {
  const url = new URL(href);
  if (choice.kind === 'pr') url.searchParams.set(PR_QUERY_PARAM, choice.pr);
  else url.searchParams.delete(PR_QUERY_PARAM);
  return url.toString();
}

export function choiceLabel(choice: PrChoice): string {
  return choice.kind === 'pr' ? `PR ${choice.pr}` : 'stable';
}

export function canaryHeaderValue(choice: PrChoice): string | null {
  return choice.kind === 'pr' ? choice.pr : null;
}
