import type { ApiClient } from '../api/client';
import { asApiError } from '../api/errors';
import type { Item } from '../api/schema';
import { formatPrice, formatTimestamp } from '../format';
import { byId, el, query, whileBusy } from './dom';
import { createDeleteDialog, createEditDialog } from './item-dialogs';
import { renderItemFields } from './item-fields';
import type { Notices } from './notices';

export interface ItemsContext {
  api: ApiClient;
  notices: Notices;
  trackLabel: () => string;
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
  const createFields = renderItemFields(query(createForm, '.fields', HTMLElement), 'create');
  let items: Item[] = [];
  let nextCursor: string | null = null;
  /** Bumped on every reload, so a page that arrives after the PR choice changed is dropped. */
  let generation = 0;

  const dialogContext = {
    ...context,
    onChanged: (item: Item) => {
      items = items.map((existing) => (existing.id === item.id ? item : existing));
      render();
    },
    onRemoved: (id: string) => {
      items = items.filter((existing) => existing.id !== id);
      render();
    },
  };
  const editDialog = createEditDialog(dialogContext);
  const deleteDialog = createDeleteDialog(dialogContext);

  function render(): void {
    list.replaceChildren(...items.map((item) => renderItem(item, editDialog.open, deleteDialog.open)));
    status.textContent = describeList(items.length, nextCursor !== null, context.trackLabel());
    loadMore.hidden = nextCursor === null;
  }

  async function loadPage(cursor: string | null): Promise<void> {
    const mine = generation;
    try {
      const page = await context.api.listItems({ cursor, limit: PAGE_SIZE });
      if (mine !== generation) return;
      const known = new Set(items.map((item) => item.id));
      items = [...items, ...page.items.filter((item) => !known.has(item.id))];
      nextCursor = page.nextCursor;
      render();
    } catch (error) {
      if (mine !== generation) return;
      status.textContent = `Items on ${context.trackLabel()} could not be loaded.`;
      context.notices.error(`Could not load items: ${asApiError(error).message}`);
    }
  }

  async function reload(): Promise<void> {
    generation++;
    items = [];
    nextCursor = null;
    list.replaceChildren();
    loadMore.hidden = true;
    status.textContent = `Loading items on ${context.trackLabel()}…`;
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
      const created = await whileBusy(createForm, () => context.api.createItem(input));
      items = [created, ...items.filter((item) => item.id !== created.id)];
      render();
      createFields.reset();
      createFields.focusFirst();
      context.notices.info(`Added “${created.name}” on ${context.trackLabel()}.`);
    } catch (error) {
      context.notices.error(`Could not add the item: ${asApiError(error).message}`);
    }
  });

  return { reload };
}

function describeList(count: number, more: boolean, track: string): string {
  if (count === 0) return more ? `No items shown on ${track} yet; load more.` : `No items on ${track} yet.`;
  const items = count === 1 ? '1 item' : `${count} items`;
  return more ? `${items} on ${track} so far; more below.` : `${items} on ${track}.`;
}

function renderItem(item: Item, onEdit: (item: Item) => void, onDelete: (item: Item) => void): HTMLLIElement {
  const edit = el(
    'button',
    { type: 'button', class: 'secondary', 'aria-label': `Edit ${item.name}` },
    'Edit',
  );
  const remove = el(
    'button',
    { type: 'button', class: 'danger-outline', 'aria-label': `Delete ${item.name}` },
    'Delete',
  );
  edit.addEventListener('click', () => onEdit(item));
  remove.addEventListener('click', () => onDelete(item));
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
