/** A verdict as a terminal would show it, and as markdown for the PR comment. */
import { ms, percent } from './units';
import type { Check, HopVerdict, Outcome, SideSummary, Verdict } from './verdict';

const WORD: Record<Outcome, string> = { pass: 'PASS', fail: 'FAIL', inconclusive: 'CANNOT TELL' };
const MARK: Record<Outcome, string> = { pass: '✅', fail: '❌', inconclusive: '❔' };

export function renderText(verdict: Verdict): string {
  const lines = [`${WORD[verdict.outcome]}  ${verdict.summary}`, ''];
  for (const hop of verdict.hops) {
    lines.push(`${WORD[hop.outcome].padEnd(11)} ${hop.hop}  (${hop.source})`);
    const stableLabel = sideLabel('stable', hop.stable);
    const prLabel = sideLabel(`pr-${verdict.pr}`, hop.pr);
    const width = Math.max(8, stableLabel.length, prLabel.length);
    lines.push(`    ${side(stableLabel, hop.stable, width)}`, `    ${side(prLabel, hop.pr, width)}`);
    for (const check of hop.checks) {
      lines.push(
        `    ${check.kind.padEnd(10)} ${WORD[check.outcome].padEnd(11)} ${check.reason}${tests(check)}`,
      );
      if (check.halves) lines.push(`${' '.repeat(27)}${halves(check.halves)}`);
    }
    for (const gate of hop.flagger)
      lines.push(
        `    flagger    ${gate.template}: ${gate.value === null ? '–' : `${gate.value} ${gate.unit}`} (max ${gate.max} ${gate.unit}) ${gate.pass === null ? 'no data' : gate.pass ? 'ok' : 'over'}`,
      );
  }
  const t = verdict.thresholds;
  lines.push(
    '',
    `Tolerances: errors +${(t.maxErrorRateIncrease * 100).toFixed(1)} points, p50 +${t.maxP50IncreaseMs} ms, p99 +${t.maxP99IncreaseMs} ms; α ${t.alpha} over all tests (Holm), power ${t.power}.`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * A side's name; where the PR has no canary of the hop's service its side is served by stable too,
 * and says so (`pr-7 (stable)`), so the two lines never read alike.
 */
function sideLabel(name: string, s: SideSummary): string {
  return s.track === name ? name : `${name} (${s.track})`;
}

/** One side's line, its figures in the same columns as the other side's (`width`: the longer label). */
function side(label: string, s: SideSummary, width: number): string {
  return `${label.padEnd(width)} ${String(s.calls).padStart(6)} calls  ${percent(s.errorRate).padStart(7)} errors  p50 ${ms(s.p50Ms)}  p95 ${ms(s.p95Ms)}  p99 ${ms(s.p99Ms)}`;
}

/** "each half: p50 +2.3 / −1.5 ms, p99 +65 / +48.8 ms" — PR minus stable in the first / second half. */
function halves(list: NonNullable<Check['halves']>): string {
  const signed = (value: number | null) => (value === null ? '–' : value >= 0 ? `+${value}` : `−${-value}`);
  const at = (key: 'p50Ms' | 'p99Ms') => list.map((half) => signed(half[key])).join(' / ');
  return `each half, PR − stable: p50 ${at('p50Ms')} ms, p99 ${at('p99Ms')} ms`;
}

function tests(check: Check): string {
  if (check.tests.length === 0) return '';
  return ` [${check.tests.map((t) => `${t.name} p=${formatP(t.adjustedP)}`).join(', ')}]`;
}

export function formatP(p: number): string {
  if (p < 0.0001) return '<0.0001';
  return p.toFixed(4);
}

/** Markdown for the PR comment; every text in it comes from the verdict's own fixed wording and numbers. */
export function renderMarkdown(verdict: Verdict): string {
  const rows = verdict.hops.map((hop: HopVerdict) => {
    const errors = `${percent(hop.pr.errorRate)} vs ${percent(hop.stable.errorRate)}`;
    const p99 = `${ms(hop.pr.p99Ms)} vs ${ms(hop.stable.p99Ms)}`;
    return `| ${hop.hop} | ${MARK[hop.outcome]} ${hop.outcome} | ${errors} | ${p99} | ${hop.pr.calls} / ${hop.stable.calls} |`;
  });
  return [
    `**Verdict:** ${MARK[verdict.outcome]} ${WORD[verdict.outcome]} — ${escapeCell(verdict.summary)}`,
    '',
    '| hop | verdict | errors (PR vs stable) | p99 (PR vs stable) | calls |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/[|<>`\r\n]/g, ' ');
}
