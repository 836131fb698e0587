import type { ApiClient, RoutingObservation } from '../api/client';
import { asApiError } from '../api/errors';
import type { Item } from '../api/schema';
import { type DataSource, dataSource } from '../data-source';
import { formatPrice, formatTimestamp } from '../format';
import { choiceLabel, type PrChoice } from '../pr-choice';
import { byId, el, query, showAlert, whileBusy } from './dom';
import { createDeleteDialog, createEditDialog } from './item-dialogs';
import { renderItemFields } from './item-fields';
import { failureTopic, type Notices } from './notices';

export interface ItemsContext {
  api: ApiClient;
  notices: Notices;
  /** The PR the user picked; what actually served the data is read from each response. */
  choice: () => PrChoice;
}

export interface ItemsView {
  /** Loads the first page again (after the PR choice changed, or on demand). */
  reload(): Promise<void>;
}

const PAGE_SIZE = 20;

export function createItemsView(context: ItemsContext): ItemsView {
  const list = byId('items-list', HTMLUListElement);
  const status = byId('items-status', HTMLElement);
  const loadMore = byId('load-more', HTMLButtonElement);
  const createForm = byId('create-form', HTMLFormElement);
  const sourcePill = byId('items-track', HTMLElement);
  const sourceNote = byId('items-source', HTMLElement);
  const createFields = renderItemFields(query(createForm, '.fields', HTMLElement), 'create');
  let items: Item[] = [];
  let nextCursor: string | null = null;
  /** Which store served the list shown (from the first page's X-Served-By); null until it loaded. */
  let source: DataSource | null = null;
  /** Bumped on every reload, so a page that arrives after the PR choice changed is dropped. */
  let generation = 0;
  /** The row control that opened the last dialog, so focus can go to the same control of a neighbour. */
  let lastAction: RowAction = 'delete';

  /** "PR 42" or "stable": the store that served this response, with why it is not the picked one. */
  function servedBy(route: RoutingObservation): DataSource {
    return dataSource(route.hops, context.choice());
  }

  function showSource(next: DataSource | null, pending: string): void {
    source = next;
    sourcePill.textContent = next ? next.label : pending;
    sourcePill.dataset.kind = next ? next.kind : 'unknown';
    showAlert(sourceNote, next?.note ?? null);
  }

  const dialogContext = {
    ...context,
    sourceLabel: () => source?.label ?? choiceLabel(context.choice()),
    servedBy,
    onChanged: (item: Item) => {
      items = items.map((existing) => (existing.id === item.id ? item : existing));
      render();
    },
    onRemoved: (id: string) => {
      const index = items.findIndex((existing) => existing.id === id);
      items = items.filter((existing) => existing.id !== id);
      render();
      if (index >= 0) refocusAfterRemoval(index);
    },
  };

  /**
   * The dialog's opener went with its row, so focus would fall to <body>: move it to the same control
   * of the row now in that place, else of the row before, else to the list's heading. Only when focus
   * is lost (on <body>, or still on the closed dialog), never away from where the user put it.
   */
  function refocusAfterRemoval(index: number): void {
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected && !active.closest('dialog')) return;
    const row = list.children[index] ?? list.children[index - 1];
    const control = row?.querySelector<HTMLElement>(`[data-action="${lastAction}"]`);
    (control ?? byId('items-heading', HTMLElement)).focus();
  }

  function open(action: RowAction, item: Item): void {
    lastAction = action;
    (action === 'edit' ? editDialog : deleteDialog).open(item);
  }
  const editDialog = createEditDialog(dialogContext);
  const deleteDialog = createDeleteDialog(dialogContext);

  function render(): void {
    list.replaceChildren(...items.map((item) => renderItem(item, open)));
    status.textContent = describeList(items.length, nextCursor !== null, source?.label ?? 'an unknown store');
    loadMore.hidden = nextCursor === null;
  }

  async function loadPage(cursor: string | null): Promise<void> {
    const mine = generation;
    try {
      const { value: page, route } = await context.api.listItems({ cursor, limit: PAGE_SIZE });
      if (mine !== generation) return;
      if (cursor === null) showSource(servedBy(route), '');
      const known = new Set(items.map((item) => item.id));
      items = [...items, ...page.items.filter((item) => !known.has(item.id))];
      nextCursor = page.nextCursor;
      render();
      // The API answered and the list is shown: earlier "could not load / reach" notices are over.
      context.notices.clear('unreachable', 'items-load');
    } catch (error) {
      if (mine !== generation) return;
      const message = asApiError(error).message;
      if (cursor === null) showSource(null, 'not loaded');
      status.textContent = `Items for ${choiceLabel(context.choice())} could not be loaded: ${message}`;
      context.notices.error(`Could not load items: ${message}`, 'items-load');
    }
  }

  async function reload(): Promise<void> {
    generation++;
    items = [];
    nextCursor = null;
    list.replaceChildren();
    loadMore.hidden = true;
    showSource(null, '…');
    status.textContent = `Loading items for ${choiceLabel(context.choice())}…`;
    await loadPage(null);
  }

  loadMore.addEventListener('click', async () => {
    loadMore.disabled = true;
    try {
      await loadPage(nextCursor);
    } finally {
      loadMore.disabled = false;
    }
  });

  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = createFields.read();
    if (!input) return;
    try {
      const { value: created, route } = await whileBusy(createForm, () => context.api.createItem(input));
      const where = servedBy(route);
      items = [created, ...items.filter((item) => item.id !== created.id)];
      render();
      createFields.reset();
      createFields.focusFirst();
      const note = where.note ? ` ${where.note}` : '';
      context.notices.info(`Added “${created.name}” to the ${where.label} store.${note}`);
    } catch (error) {
      const failure = asApiError(error);
      context.notices.error(`Could not add the item: ${failure.message}`, failureTopic(failure));
      // 504: it may have been created anyway (the API says so); the list shows whether it was.
      if (failure.status === 504) await reload();
    }
  });

  return { reload };
}

function describeList(count: number, more: boolean, track: string): string {
  if (count === 0) return more ? `No items shown on ${track} yet; load more.` : `No items on ${track} yet.`;
  const items = count === 1 ? '1 item' : `${count} items`;
  return more ? `${items} on ${track} so far; more below.` : `${items} on ${track}.`;
}

type RowAction = 'edit' | 'delete';

function renderItem(item: Item, onAction: (action: RowAction, item: Item) => void): HTMLLIElement {
  const edit = el(
    'button',
    { type: 'button', class: 'secondary', 'aria-label': `Edit ${item.name}`, 'data-action': 'edit' },
    'Edit',
  );
  const remove = el(
    'button',
    { type: 'button', class: 'danger-outline', 'aria-label': `Delete ${item.name}`, 'data-action': 'delete' },
    'Delete',
  );
  edit.addEventListener('click', () => onAction('edit', item));
  remove.addEventListener('click', () => onAction('delete', item));
  return el(
    'li',
    { class: 'item', 'data-item-id': item.id },
    el(
      'div',
      { class: 'item-main' },
      el('h3', { class: 'item-name' }, item.name),
      item.description && el('p', { class: 'item-description' }, item.description),
      el(
        'p',
        { class: 'item-meta muted small' },
        `v${item.version} · updated `,
        el('time', { datetime: item.updatedAt }, formatTimestamp(item.updatedAt)),
      ),
    ),
    el('p', { class: 'item-price' }, formatPrice(item.priceCents)),
    el('div', { class: 'item-actions' }, edit, remove),
  );
}
