import { el } from './dom';

/**
 * Page-level messages. Errors go to a persistent `role="alert"` region (announced at once), the rest to a
 * persistent `role="status"` region (announced politely); both exist before any notice is added, which
 * is what makes screen readers announce additions reliably.
 */
export interface Notices {
  error(text: string): void;
  info(text: string): void;
}

export interface NoticeRegions {
  error: HTMLElement;
  info: HTMLElement;
}

const MAX_NOTICES_PER_LEVEL = 4;

export function createNotices(regions: NoticeRegions): Notices {
  function add(level: keyof NoticeRegions, text: string): void {
    const region = regions[level];
    const dismiss = el('button', { type: 'button', class: 'ghost', 'aria-label': 'Dismiss message' }, '×');
    const notice = el('div', { class: 'notice', 'data-level': level }, el('p', {}, text), dismiss);
    dismiss.addEventListener('click', () => notice.remove());
    region.prepend(notice);
    while (region.children.length > MAX_NOTICES_PER_LEVEL) region.lastElementChild?.remove();
  }
  return { error: (text) => add('error', text), info: (text) => add('info', text) };
}
