/**
 * The PR-vs-stable verdict as a picture: one row per hop along the request path (edge → api → store),
 * each with its outcome in words and colour, error rate and p50/p99 latency drawn as paired bars
 * (stable blue, PR amber) on a shared scale, the reason in a sentence, and the hop where a failure
 * starts marked. Numbers and words are always written out; colour and length only repeat them.
 */
import type { HopVerdict, Outcome, SideSummary, Verdict } from '@pr-canary/canary-analysis/verdict';
import { formatClock } from '../format';
import { DEFAULT_STACK_URL, type VerdictLookup } from '../verdict-source';
import { el } from './dom';

const WORD: Record<Outcome, string> = { pass: 'Pass', fail: 'Fail', inconclusive: 'Cannot tell' };

export interface VerdictView {
  show(pr: string | null, lookup: VerdictLookup | null): void;
}

/**
 * ` --control <origin>` for a stack other than the CLI's default; nothing for the default, for none, or
 * for a URL the CLI would refuse anyway (not http on this machine). Only the origin: the URL may come
 * from `?stack=` in a link, and a path could carry shell syntax into a command the user copies.
 */
export function controlOption(stackUrl: string | null): string {
  if (stackUrl === null || !URL.canParse(stackUrl)) return '';
  const url = new URL(stackUrl);
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return '';
  return url.origin === new URL(DEFAULT_STACK_URL).origin ? '' : ` --control ${url.origin}`;
}

export function createVerdictView(
  elements: { summary: HTMLElement; hops: HTMLOListElement },
  /** The stack's control endpoint the page reads verdicts from (null: none, e.g. in a cluster). */
  stackUrl: string | null,
): VerdictView {
  let shown = '';
  const control = controlOption(stackUrl);
  /** The command that makes a verdict this page will show: `--control` unless the CLI's default would do. */
  const analyze = (pr: string) => el('code', {}, `npx pr-canary analyze --pr ${pr}${control}`);
  return {
    show(pr, lookup) {
      const key = JSON.stringify([
        pr,
        lookup?.kind,
        lookup?.kind === 'verdict'
          ? lookup.verdict.createdAt
          : lookup && 'message' in lookup
            ? lookup.message
            : null,
      ]);
      if (key === shown) return;
      shown = key;
      elements.hops.replaceChildren();
      if (pr === null)
        return void elements.summary.replaceChildren(hint('Pick a PR to see how it compares with stable.'));
      if (!lookup || lookup.kind === 'unreachable')
        return void elements.summary.replaceChildren(
          hint('No local stack control endpoint answers: start one with npm start. Verdicts come from '),
          analyze(pr),
          hint(' on a local stack, or from the PR comment in a cluster.'),
        );
      if (lookup.kind === 'invalid')
        return void elements.summary.replaceChildren(
          hint('The stack answered something that is not a verdict.'),
        );
      if (lookup.kind === 'none')
        return void elements.summary.replaceChildren(hint(`${lookup.message} Run `), analyze(pr));
      if (lookup.kind === 'cannot-judge') return void elements.summary.replaceChildren(hint(lookup.message));
      const { verdict } = lookup;
      elements.summary.replaceChildren(summary(verdict));
      const scale = scaleOf(verdict);
      elements.hops.replaceChildren(
        ...verdict.hops.map((hop) => renderHop(hop, scale, hop.hop === verdict.origin)),
      );
    },
  };
}

function hint(text: string): Text {
  return document.createTextNode(text);
}

function summary(verdict: Verdict): HTMLElement {
  return el(
    'div',
    { class: 'pr-verdict-summary', 'data-outcome': verdict.outcome },
    el('strong', { class: 'pr-verdict-badge', 'data-outcome': verdict.outcome }, WORD[verdict.outcome]),
    el('span', {}, verdict.summary),
    el('span', { class: 'muted small' }, ` (${verdict.mode}, ${formatClock(new Date(verdict.createdAt))})`),
  );
}

interface Scale {
  errorRate: number;
  ms: number;
}

function scaleOf(verdict: Verdict): Scale {
  const sides = verdict.hops.flatMap((h) => [h.stable, h.pr]);
  return {
    errorRate: Math.max(0.05, ...sides.map((s) => s.errorRate)),
    ms: Math.max(1, ...sides.flatMap((s) => [s.p50Ms ?? 0, s.p99Ms ?? 0])),
  };
}

function renderHop(hop: HopVerdict, scale: Scale, origin: boolean): HTMLLIElement {
  return el(
    'li',
    { class: 'pr-verdict-hop', 'data-outcome': hop.outcome, 'data-hop': hop.hop },
    el(
      'div',
      { class: 'pr-verdict-hop-head' },
      el('span', { class: 'hop-service' }, hop.hop),
      el('strong', { class: 'pr-verdict-badge', 'data-outcome': hop.outcome }, WORD[hop.outcome]),
      origin ? el('span', { class: 'pr-verdict-origin' }, 'failure starts here') : null,
    ),
    el(
      'div',
      { class: 'pr-verdict-bars' },
      bars(
        'errors',
        hop.stable,
        hop.pr,
        (s) => s.errorRate,
        scale.errorRate,
        (v) => `${(v * 100).toFixed(1)} %`,
      ),
      bars('p50', hop.stable, hop.pr, (s) => s.p50Ms, scale.ms, ms),
      bars('p99', hop.stable, hop.pr, (s) => s.p99Ms, scale.ms, ms),
    ),
    el(
      'ul',
      { class: 'pr-verdict-reasons small' },
      ...hop.checks.map((c) => el('li', { 'data-outcome': c.outcome }, `${c.kind}: ${c.reason}`)),
    ),
    ...hop.flagger
      .filter((gate) => gate.pass === false)
      .map((gate) =>
        el(
          'p',
          { class: 'muted small' },
          `Flagger's ${gate.template} gate (max ${gate.max} ${gate.unit}) would stop a release at ${gate.value} ${gate.unit}.`,
        ),
      ),
  );
}

function bars(
  label: string,
  stable: SideSummary,
  pr: SideSummary,
  value: (side: SideSummary) => number | null,
  max: number,
  format: (value: number) => string,
): HTMLElement {
  const bar = (side: SideSummary, kind: 'stable' | 'canary') => {
    const v = value(side);
    const width = v === null ? 0 : Math.min(100, (v / max) * 100);
    const drawn = el('span', { class: 'pr-verdict-bar', 'data-kind': kind, 'aria-hidden': 'true' });
    // Through the CSSOM: the build's Content-Security-Policy refuses style attributes.
    drawn.style.setProperty('--width', `${width.toFixed(1)}%`);
    return el(
      'div',
      { class: 'pr-verdict-bar-row' },
      el('span', { class: 'track-pill', 'data-kind': kind }, side.track),
      drawn,
      el('span', { class: 'pr-verdict-value' }, v === null ? '–' : format(v)),
    );
  };
  return el(
    'div',
    { class: 'pr-verdict-metric', 'data-metric': label },
    el('span', { class: 'pr-verdict-metric-label small muted' }, label),
    bar(stable, 'stable'),
    bar(pr, 'canary'),
  );
}

function ms(value: number): string {
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}
