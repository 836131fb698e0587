/**
 * The route inspector's waterfall: the last request's trace (or a trace linked with `?trace=`), one bar
 * per span (parents first, indented),
 * each with its service, track, version, duration, status and canary attributes; errors marked in
 * words and colour. Spans come from the trace receiver (api/traces.ts); the bars are positioned through
 * CSS custom properties set with the CSSOM (the page's CSP allows no inline style attributes).
 */
import {
  canaryAttributes,
  formatDuration,
  layoutWaterfall,
  spanOutcome,
  type Waterfall,
  type WaterfallRow,
} from '@pr-canary/traces/model';
import type { RoutingObservation } from '../api/client';
import { asApiError } from '../api/errors';
import { loadTrace } from '../api/traces';
import { hopKind } from '../route-verdict';
import { el } from './dom';

export interface WaterfallElements {
  heading: HTMLElement;
  /** Says whose trace is shown: the last request's, or a linked one. */
  intro: HTMLElement;
  status: HTMLElement;
  spans: HTMLOListElement;
  /** Shown with a linked trace: back to the last request's waterfall. */
  showLast: HTMLButtonElement;
}

export interface WaterfallViewOptions {
  elements: WaterfallElements;
  /** The trace receiver; null when none is configured. */
  tracesUrl: string | null;
  /** Called once a request's trace is drawn (to link the served-by hops to their spans). */
  onDrawn?: (sequence: number, waterfall: Waterfall) => void;
  waitMs?: number;
}

type Observed = Pick<RoutingObservation, 'sequence' | 'traceId' | 'hops' | 'status'>;

export interface WaterfallView {
  /**
   * Draws the trace of this response, unless a newer request's is already wanted. With `keepLinked`,
   * a linked trace on screen stays (the response is only remembered, for "Show the last request's").
   */
  observe(observation: Observed, options?: { keepLinked?: boolean }): void;
  /** Draws a trace by id (a link such as `?trace=<id>` from the extension or the CLI). */
  showTrace(traceId: string): void;
}

export const SPAN_ANCHOR_PREFIX = 'span-';

/**
 * A linked trace is not one of this page's requests, while the inspector's hops above it are (the
 * page's own first load). So while one is shown, the heading and the line under it say it is the
 * linked trace and that the hops above are not its hops; the hops get no "span in waterfall" links
 * (their spans are not in it), and a button goes back to the last request's waterfall. It stays until
 * then or until the user makes a request of their own: it is what they opened the page for.
 */
export function createWaterfallView(options: WaterfallViewOptions): WaterfallView {
  const { heading, intro, status, spans, showLast } = options.elements;
  /** The last request's wording, as the page is served with it (index.html), to come back to from a linked trace. */
  const lastRequest = {
    heading: heading.textContent ?? '',
    intro: intro.textContent ?? '',
    spans: spans.getAttribute('aria-label') ?? '',
  };
  /** The newest request whose trace is wanted (older responses arriving late are dropped). */
  let wanted = 0;
  /** Counts draws: a slower load for an earlier draw is dropped. */
  let drawing = 0;
  let pending: AbortController | undefined;
  /** The newest response seen, drawn or not (while a linked trace is shown). */
  let last: Observed | undefined;
  /** The id of the linked trace on screen, else null. */
  let linked: string | null = null;

  function showWhose(traceId: string | null): void {
    linked = traceId;
    showLast.hidden = traceId === null;
    heading.textContent = traceId === null ? lastRequest.heading : 'Waterfall of the linked trace';
    intro.textContent =
      traceId === null
        ? lastRequest.intro
        : `Trace ${traceId}, opened from a link: not a request of this page. The hops above are this page's last request, not this trace's.`;
    spans.setAttribute(
      'aria-label',
      traceId === null ? lastRequest.spans : 'Spans of the linked trace, parents first',
    );
  }

  showLast.addEventListener('click', () => {
    showWhose(null);
    heading.focus();
    if (last) return render(last);
    pending?.abort();
    spans.replaceChildren();
    say('No request yet.', 'idle');
  });

  function say(text: string, state: 'idle' | 'loading' | 'error' | 'ok'): void {
    status.textContent = text;
    status.dataset.state = state;
  }

  /** Draws a trace: request `sequence`'s, or (null) a linked one. */
  async function draw(sequence: number | null, traceId: string, expectServices: readonly string[]) {
    const draw = ++drawing;
    pending?.abort();
    const controller = new AbortController();
    pending = controller;
    if (options.tracesUrl === null) {
      spans.replaceChildren();
      say(
        `Trace ${traceId}: no trace receiver is configured for this page (tracesUrl in config.json, or ?traces=).`,
        'idle',
      );
      return;
    }
    say(`Loading trace ${traceId}…`, 'loading');
    try {
      const loaded = await loadTrace({
        tracesUrl: options.tracesUrl,
        traceId,
        expectServices,
        signal: controller.signal,
        ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
      });
      if (draw !== drawing) return;
      const waterfall = layoutWaterfall(loaded.trace);
      spans.replaceChildren(...waterfall.rows.map((row) => renderRow(row, waterfall.totalMs)));
      say(describe(waterfall, loaded.whole), waterfall.errorCount > 0 ? 'error' : 'ok');
      // A linked trace's spans are not the hops' spans: only a request's own trace links them.
      if (sequence !== null) options.onDrawn?.(sequence, waterfall);
    } catch (error) {
      if (controller.signal.aborted || draw !== drawing) return;
      spans.replaceChildren();
      const failure = asApiError(error);
      say(
        sequence === null && failure.code === 'TRACE_NOT_FOUND' ? notKept(traceId) : failure.message,
        'error',
      );
    }
  }

  function render(observation: Observed): void {
    showWhose(null);
    if (observation.traceId === null) {
      drawing += 1;
      pending?.abort();
      spans.replaceChildren();
      say(
        observation.status === 0
          ? 'No response, so no trace.'
          : 'This response named no trace (no X-Trace-Id: tracing is off for this API).',
        'idle',
      );
      return;
    }
    void draw(
      observation.sequence,
      observation.traceId,
      observation.hops.map((hop) => hop.service),
    );
  }

  return {
    observe(observation, { keepLinked = false } = {}) {
      if (observation.sequence < wanted) return;
      wanted = observation.sequence;
      last = observation;
      if (linked !== null && keepLinked) return;
      render(observation);
    },
    showTrace(traceId) {
      showWhose(traceId);
      void draw(null, traceId, []);
    },
  };
}

/**
 * A linked trace the receiver does not have: it was made earlier, so tracing did work; the receiver
 * keeps only the last few hundred traces, in memory (localdev's trace store), or the link is from
 * another stack. Not the "services may not export to it" of a trace this page just caused.
 */
function notKept(traceId: string): string {
  return `Trace ${traceId} is not in the trace receiver: it keeps only the most recent traces, so this one is older than that (or from before the stack restarted), or it comes from another stack.`;
}

function describe(waterfall: Waterfall, whole: boolean): string {
  const parts = [
    `Trace ${waterfall.traceId}`,
    `${waterfall.rows.length} span${waterfall.rows.length === 1 ? '' : 's'}`,
    formatDuration(waterfall.totalMs),
  ];
  if (waterfall.errorCount > 0)
    parts.push(`${waterfall.errorCount} error${waterfall.errorCount === 1 ? '' : 's'}`);
  const missing = whole ? '' : ' Some spans have not arrived (yet).';
  return `${parts.join(' · ')}.${missing}`;
}

function renderRow(row: WaterfallRow, totalMs: number): HTMLLIElement {
  const { span } = row;
  const kind = span.track === null ? 'unknown' : hopKind(span.track);
  const item = el(
    'li',
    {
      class: 'span-row',
      id: `${SPAN_ANCHOR_PREFIX}${span.spanId}`,
      'data-kind': kind,
      'data-status': span.status.code,
      'data-service': span.service,
      'data-span-kind': span.kind,
      tabindex: '-1',
    },
    el(
      'div',
      { class: 'span-head' },
      el('span', { class: 'span-service' }, span.service),
      el('span', { class: 'span-name' }, span.name),
    ),
    el('div', { class: 'span-lane', 'aria-hidden': 'true' }, el('div', { class: 'span-bar' })),
    el(
      'div',
      { class: 'span-meta' },
      el(
        'span',
        { class: 'track-pill', 'data-kind': kind },
        span.track === null ? 'track unknown' : kind === 'canary' ? `canary ${span.track}` : span.track,
      ),
      el('span', { class: 'span-version' }, span.version === null ? 'version unknown' : `v${span.version}`),
      el(
        'span',
        { class: 'span-duration' },
        `${formatDuration(span.durationMs)}, from +${formatDuration(row.offsetMs)}`,
      ),
      el('span', { class: 'span-status', 'data-status': span.status.code }, spanOutcome(span)),
    ),
    canaryLine(span),
  );
  item.style.setProperty('--depth', String(row.depth));
  const width = totalMs > 0 ? (span.durationMs / totalMs) * 100 : 100;
  const offset = totalMs > 0 ? (row.offsetMs / totalMs) * 100 : 0;
  item.style.setProperty('--offset', `${Math.min(offset, 99.5).toFixed(2)}%`);
  item.style.setProperty('--width', `${Math.max(width, 0.5).toFixed(2)}%`);
  return item;
}

function canaryLine(span: WaterfallRow['span']): HTMLElement | null {
  const attributes = canaryAttributes(span);
  if (attributes.length === 0) return null;
  return el(
    'p',
    { class: 'span-attrs' },
    ...attributes.map(([key, value]) => el('code', { class: 'span-attr' }, `${key}=${value}`)),
  );
}
