import type { ServedByEntry } from '@pr-canary/contracts/served-by';
import type { RoutingObservation } from '../api/client';
import { formatClock } from '../format';
import { assessRoute, hopKind, type Verdict } from '../route-verdict';
import { el } from './dom';

export interface InspectorElements {
  request: HTMLElement;
  hops: HTMLOListElement;
  verdicts: HTMLElement;
}

export interface Inspector {
  /** Shows the route of a response unless a newer request's route is already shown. */
  observe(observation: RoutingObservation): void;
  /**
   * Links each shown hop to its span in the waterfall (`#span-<id>`), if the hops shown are still
   * those of request `sequence`.
   */
  linkHops(sequence: number, spanOf: (service: string) => string | undefined): void;
}

const VERDICT_ICONS = { ok: '✓', info: 'ℹ', warning: '⚠' } as const;

export function createInspector(elements: InspectorElements): Inspector {
  let shownSequence = 0;
  return {
    observe(observation) {
      if (observation.sequence < shownSequence) return;
      shownSequence = observation.sequence;
      elements.request.replaceChildren(describeRequest(observation));
      elements.hops.replaceChildren(...observation.hops.map(renderHop));
      elements.verdicts.replaceChildren(...assessRoute(observation).map(renderVerdict));
    },
    linkHops(sequence, spanOf) {
      if (sequence !== shownSequence) return;
      for (const hop of elements.hops.querySelectorAll<HTMLElement>('.hop')) {
        const spanId = spanOf(hop.dataset.service ?? '');
        hop.querySelector('.hop-trace')?.remove();
        if (spanId === undefined) continue;
        hop
          .querySelector('.hop-version')
          ?.after(el('a', { class: 'hop-trace', href: `#${spanId}` }, 'span in waterfall ↓'));
      }
    },
  };
}

function describeRequest(observation: RoutingObservation): DocumentFragment {
  const fragment = document.createDocumentFragment();
  const sent = observation.sentCanary === null ? 'no X-Canary' : `X-Canary: ${observation.sentCanary}`;
  fragment.append(
    el('code', {}, `${observation.method} ${observation.path}`),
    ` → ${observation.status === 0 ? 'no response' : observation.status} at ${formatClock(observation.at)}, sent `,
    el('code', { class: 'nowrap' }, sent),
  );
  return fragment;
}

function renderHop(hop: ServedByEntry): HTMLLIElement {
  const kind = hopKind(hop.track);
  return el(
    'li',
    { class: 'hop', 'data-kind': kind, 'data-service': hop.service },
    el('span', { class: 'hop-service' }, hop.service),
    el(
      'span',
      { class: 'track-pill', 'data-kind': kind },
      kind === 'canary' ? `canary ${hop.track}` : hop.track,
    ),
    el('span', { class: 'hop-version' }, `v${hop.version}`),
  );
}

function renderVerdict(verdict: Verdict): HTMLParagraphElement {
  const role: Record<string, string> = verdict.level === 'warning' ? { role: 'alert' } : {};
  return el(
    'p',
    { class: 'verdict', 'data-level': verdict.level, ...role },
    el('span', { class: 'verdict-icon', 'aria-hidden': 'true' }, VERDICT_ICONS[verdict.level]),
    el('span', {}, verdict.text),
  );
}
