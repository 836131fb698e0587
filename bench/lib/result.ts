/**
 * What every bench script (bench/*.bench.ts) hands the runner: it writes this as JSON to the file
 * named by BENCH_RESULT_FILE. `checks` are the targets with pass/fail; `markdown` is printed as is.
 */
export interface BenchCheck {
  name: string;
  /** The measured figure (a ratio, ms, MB …). */
  value: number;
  unit: string;
  /** The target, as text (e.g. "≥ 0.80"). */
  target: string;
  pass: boolean;
}

export interface BenchResult {
  title: string;
  checks: BenchCheck[];
  markdown: string;
  /** Everything measured, for the JSON results file. */
  details: unknown;
}
