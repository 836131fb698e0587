/**
 * The route inspector's waterfall: the last request's trace, one bar per span (parents first, indented),
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
  status: HTMLElement;
  spans: HTMLOListElement;
}

export interface WaterfallViewOptions {
  elements: WaterfallElements;
  /** The trace receiver; null when none is configured. */
  tracesUrl: string | null;
  /** Called once a request's trace is drawn (to link the served-by hops to their spans). */
  onDrawn?: (sequence: number, waterfall: Waterfall) => void;
  waitMs?: number;
}

export interface WaterfallView {
  /** Draws the trace of this response, unless a newer request's is already wanted. */
  observe(observation: Pick<RoutingObservation, 'sequence' | 'traceId' | 'hops' | 'status'>): void;
  /** Draws a trace by id (a link such as `?trace=<id>` from the extension or the CLI). */
  showTrace(traceId: string): void;
}

export const SPAN_ANCHOR_PREFIX = 'span-';

export function createWaterfallView(options: WaterfallViewOptions): WaterfallView {
  const { status, spans } = options.elements;
  let wanted = 0;
  let pending: AbortController | undefined;

  function say(text: string, state: 'idle' | 'loading' | 'error' | 'ok'): void {
    status.textContent = text;
    status.dataset.state = state;
  }

  async function draw(sequence: number, traceId: string, expectServices: readonly string[]) {
    if (sequence < wanted) return;
    wanted = sequence;
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
      if (sequence !== wanted) return;
      const waterfall = layoutWaterfall(loaded.trace);
      spans.replaceChildren(...waterfall.rows.map((row) => renderRow(row, waterfall.totalMs)));
      say(describe(waterfall, loaded.whole), waterfall.errorCount > 0 ? 'error' : 'ok');
      options.onDrawn?.(sequence, waterfall);
    } catch (error) {
      if (controller.signal.aborted || sequence !== wanted) return;
      spans.replaceChildren();
      say(asApiError(error).message, 'error');
    }
  }

  return {
    observe(observation) {
      if (observation.sequence < wanted) return;
      if (observation.traceId === null) {
        wanted = observation.sequence;
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
    },
    showTrace(traceId) {
      void draw(wanted + 1, traceId, []);
    },
  };
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
