import { el } from './dom';

/** Page-level messages: errors are announced at once (role=alert), the rest politely. */
export interface Notices {
  error(text: string): void;
  info(text: string): void;
}

const MAX_NOTICES = 4;

export function createNotices(container: HTMLElement): Notices {
  function add(level: 'error' | 'info', text: string): void {
    const dismiss = el('button', { type: 'button', class: 'ghost', 'aria-label': 'Dismiss message' }, '×');
    const notice = el(
      'div',
      { class: 'notice', 'data-level': level, role: level === 'error' ? 'alert' : 'status' },
      el('p', {}, text),
      dismiss,
    );
    dismiss.addEventListener('click', () => notice.remove());
    container.prepend(notice);
    while (container.children.length > MAX_NOTICES) container.lastElementChild?.remove();
  }
  return { error: (text) => add('error', text), info: (text) => add('info', text) };
}
