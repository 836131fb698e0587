export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** `min–max` of the finite values, each written by `format`; `n/a` when there are none. */
export function spread(values: readonly number[], format: (value: number) => string): string {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length > 0 ? `${format(Math.min(...finite))}–${format(Math.max(...finite))}` : 'n/a';
}
