import type { ApiError } from '../api/errors';
import { el } from './dom';

/**
 * Page-level messages. Errors go to a persistent `role="alert"` region (announced at once), the rest to a
 * persistent `role="status"` region (announced politely); both exist before any notice is added, which
 * is what makes screen readers announce additions reliably.
 */
export interface Notices {
  /** `topic`: what a later success makes obsolete (see NoticeTopic); without one, it stays until dismissed. */
  error(text: string, topic?: NoticeTopic): void;
  info(text: string): void;
  /** Removes the notices about these topics: what they reported is no longer true. */
  clear(...topics: NoticeTopic[]): void;
}

/**
 * Notices that only describe a state of the connection or of a load, which a later success shows is
 * over. They are cleared then, so the page does not keep saying "could not reach the API" next to a
 * list that just loaded from it:
 * - `unreachable`: no answer from the API at all (network, CORS, timeout), whatever the user was doing —
 *   also a failed add: the form still holds what they typed, so nothing is lost by the notice going;
 * - `items-load`: the list could not be loaded (with the API's or the router's reason);
 * - `route-check`: a route check failed.
 * Everything else stays until dismissed: config problems, and a write the API answered and refused or
 * could not confirm (a 4xx, a 503, a 504), which the user has to act on whatever loads later.
 */
export type NoticeTopic = 'unreachable' | 'items-load' | 'route-check';

/** `unreachable` when the API did not answer at all; else `otherwise` (a failure it did answer). */
export function failureTopic(error: ApiError, otherwise?: NoticeTopic): NoticeTopic | undefined {
  return error.code === 'NETWORK' || error.code === 'TIMEOUT' ? 'unreachable' : otherwise;
}

export interface NoticeRegions {
  error: HTMLElement;
  info: HTMLElement;
}

const MAX_NOTICES_PER_LEVEL = 4;

export function createNotices(regions: NoticeRegions): Notices {
  function add(level: keyof NoticeRegions, text: string, topic?: NoticeTopic): void {
    const region = regions[level];
    const dismiss = el('button', { type: 'button', class: 'ghost', 'aria-label': 'Dismiss message' }, '×');
    const notice = el('div', { class: 'notice', 'data-level': level }, el('p', {}, text), dismiss);
    if (topic) notice.dataset.topic = topic;
    dismiss.addEventListener('click', () => notice.remove());
    region.prepend(notice);
    while (region.children.length > MAX_NOTICES_PER_LEVEL) region.lastElementChild?.remove();
  }
  return {
    error: (text, topic) => add('error', text, topic),
    info: (text) => add('info', text),
    clear(...topics) {
      for (const region of [regions.error, regions.info]) {
        for (const notice of region.querySelectorAll<HTMLElement>('.notice[data-topic]')) {
          if (topics.includes(notice.dataset.topic as NoticeTopic)) notice.remove();
        }
      }
    },
  };
}
