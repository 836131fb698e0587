/** How the verdict's numbers read in its reasons, the terminal and the PR comment. */

/** A fraction as a percentage with one decimal: 0.052 → "5.2 %". */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

/** Milliseconds, or a dash when there is no value: 12.5 → "12.5 ms". */
export function ms(value: number | null): string {
  return value === null ? '–' : `${value} ms`;
}
