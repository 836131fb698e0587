import type { ApiClient, RoutingObservation } from '../api/client';
import { type ApiError, asApiError } from '../api/errors';
import type { Item, ItemInput } from '../api/schema';
import type { DataSource } from '../data-source';
import { formatPrice, formatTimestamp } from '../format';
import { byId, el, query, showAlert, whileBusy } from './dom';
import { renderItemFields } from './item-fields';
import type { Notices } from './notices';

export interface ItemDialogContext {
  api: ApiClient;
  notices: Notices;
  /** "stable" or "PR 42": the store that served the list the user is looking at. */
  sourceLabel: () => string;
  /** Which store served a response (from its X-Served-By), with a note when it is not the picked one. */
  servedBy: (route: RoutingObservation) => DataSource;
  /** The item changed (saved here, or found changed by someone else). */
  onChanged: (item: Item) => void;
  /** The item no longer exists. */
  onRemoved: (id: string) => void;
}

export interface ItemDialog {
  open(item: Item): void;
}

/**
 * The API refuses a write whose `If-Match` no longer matches: 412 Precondition Failed (RFC 9110), or 409
 * from an api that predates it. Both mean "the item changed since you loaded it".
 */
export function isStaleVersion(error: ApiError): boolean {
  return error.status === 412 || error.status === 409;
}

function sameContent(item: Item, input: ItemInput): boolean {
  return (
    item.name === input.name && item.description === input.description && item.priceCents === input.priceCents
  );
}

function whereNote(where: DataSource): string {
  return where.note ? ` ${where.note}` : '';
}

/**
 * The control that took `element`'s place when its row was drawn again — saving an item redraws the
 * list, so the Edit button that opened the dialog is gone, and its row's new one gets the focus back.
 * Null when the row itself is gone (a delete: the list moves focus itself).
 */
function redrawnControl(element: HTMLElement | null): HTMLElement | null {
  const action = element?.dataset.action;
  const id = element?.closest<HTMLElement>('[data-item-id]')?.dataset.itemId;
  if (!action || !id) return null;
  return document.querySelector<HTMLElement>(
    `[data-item-id="${CSS.escape(id)}"] [data-action="${CSS.escape(action)}"]`,
  );
}

/** Native modal <dialog>: focus is trapped, Escape closes; focus returns to the button that opened it. */
function prepareDialog(dialog: HTMLDialogElement): { show(): void } {
  let opener: HTMLElement | null = null;
  for (const button of dialog.querySelectorAll('[data-close]')) {
    button.addEventListener('click', () => dialog.close());
  }
  dialog.addEventListener('close', () => {
    (opener?.isConnected ? opener : redrawnControl(opener))?.focus();
    opener = null;
  });
  return {
    show() {
      opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
    },
  };
}

/**
 * Editing uses optimistic concurrency: PUT carries `If-Match: "<version>"`. When the item changed since
 * it was loaded (412, or 409 from an older api), nothing is overwritten: the dialog keeps what the user
 * typed, shows the current version next to it, and lets them either load the current version or
 * knowingly save theirs over it (a new PUT with the current version's tag).
 */
export function createEditDialog(context: ItemDialogContext): ItemDialog {
  const dialog = byId('edit-dialog', HTMLDialogElement);
  const form = byId('edit-form', HTMLFormElement);
  const meta = byId('edit-meta', HTMLElement);
  const errorBox = byId('edit-error', HTMLElement);
  const recheckRow = byId('edit-recheck-row', HTMLElement);
  const recheck = byId('edit-recheck', HTMLButtonElement);
  const conflict = byId('edit-conflict', HTMLElement);
  const conflictText = byId('edit-conflict-text', HTMLElement);
  const conflictCurrent = byId('edit-conflict-current', HTMLElement);
  const useCurrent = byId('edit-use-current', HTMLButtonElement);
  const overwrite = byId('edit-overwrite', HTMLButtonElement);
  const saveButton = query(form, 'button[type="submit"]', HTMLButtonElement);
  const fields = renderItemFields(query(form, '.fields', HTMLElement), 'edit');
  const modal = prepareDialog(dialog);
  let current: Item | undefined;
  /** The version found on the server after a refused save, until the user decides what to do. */
  let newer: Item | undefined;
  /** A save that timed out and could not be checked yet: what "Check again" checks. */
  let unconfirmed: { item: Item; expectedVersion: number; input: ItemInput } | undefined;

  function offerRecheck(attempt: typeof unconfirmed): void {
    unconfirmed = attempt;
    recheckRow.hidden = attempt === undefined;
  }

  function load(item: Item): void {
    current = item;
    fields.fill(item);
    meta.textContent = `Version ${item.version}, last changed ${formatTimestamp(item.updatedAt)}`;
    showConflict(undefined);
  }

  function showConflict(latest: Item | undefined): void {
    newer = latest;
    conflict.hidden = latest === undefined;
    // Saving the old version again would only be refused again: the user picks one of the two choices.
    saveButton.disabled = latest !== undefined;
    if (!latest || !current) return;
    conflictText.textContent =
      `Not saved: this item changed since you opened it (you edited version ${current.version}; ` +
      `it is now version ${latest.version}, changed ${formatTimestamp(latest.updatedAt)}). ` +
      'Your changes are still in the form. The current version:';
    conflictCurrent.replaceChildren(
      el('dt', {}, 'Name'),
      el('dd', {}, latest.name),
      el('dt', {}, 'Price'),
      el('dd', {}, formatPrice(latest.priceCents)),
      el('dt', {}, 'Description'),
      el('dd', {}, latest.description || '(none)'),
    );
    useCurrent.focus();
  }

  async function save(item: Item, expectedVersion: number, input: ItemInput): Promise<void> {
    showAlert(errorBox, null);
    offerRecheck(undefined);
    try {
      const { value: saved, route } = await whileBusy(form, () =>
        context.api.updateItem(item.id, expectedVersion, input),
      );
      context.onChanged(saved);
      dialog.close();
      const where = context.servedBy(route);
      context.notices.info(
        `Saved “${saved.name}” (version ${saved.version}) in the ${where.label} store.${whereNote(where)}`,
      );
    } catch (error) {
      await handleFailure(item, expectedVersion, input, asApiError(error));
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const item = current;
    const input = fields.read();
    if (!item || !input) return;
    void save(item, item.version, input);
  });

  useCurrent.addEventListener('click', () => {
    if (newer) load(newer);
    fields.focusFirst();
  });

  overwrite.addEventListener('click', () => {
    const item = current;
    const latest = newer;
    const input = fields.read();
    if (!item || !latest || !input) return;
    // The user has seen the current version and chose to replace it: send *its* tag, so a third change
    // that lands meanwhile is still caught.
    void save(item, latest.version, input);
  });

  recheck.addEventListener('click', () => {
    if (unconfirmed)
      void settleTimeout(unconfirmed.item, unconfirmed.expectedVersion, unconfirmed.input, true);
  });

  /**
   * 504: the store did not answer in time, so the change may or may not have been applied. The API says
   * how to find out (GET the item and compare); the dialog does exactly that instead of guessing. When
   * that GET fails too (a store still too slow), the API's own text is an instruction for API clients
   * ("GET the item and compare its ETag…"): the user is told what it means for them instead, and gets
   * a button that does the check again (`again`: that button asked).
   */
  async function settleTimeout(
    item: Item,
    expectedVersion: number,
    input: ItemInput,
    again = false,
  ): Promise<void> {
    const read = () => context.api.getItem(item.id);
    let latest: Item;
    try {
      // Only the read is busy: what follows may disable Save on purpose (the conflict view).
      latest = (await (again ? whileBusy(form, read) : read())).value;
    } catch {
      offerRecheck({ item, expectedVersion, input });
      if (again) recheck.focus();
      return showAlert(
        errorBox,
        'Not confirmed: the server took too long, so your change may or may not have been saved, and the item could not be read back to find out. Your changes are still in the form: check again in a moment.',
      );
    }
    offerRecheck(undefined);
    showAlert(errorBox, null);
    context.onChanged(latest);
    if (latest.version > expectedVersion && sameContent(latest, input)) {
      dialog.close();
      return context.notices.info(
        `Saved “${latest.name}” (version ${latest.version}): the API timed out, but the item now shows your change.`,
      );
    }
    if (latest.version === expectedVersion) {
      if (again) saveButton.focus();
      return showAlert(
        errorBox,
        `Not saved: the API timed out and the item is unchanged (still version ${latest.version}). Save again.`,
      );
    }
    showConflict(latest);
  }

  async function handleFailure(
    item: Item,
    expectedVersion: number,
    input: ItemInput,
    error: ApiError,
  ): Promise<void> {
    if (error.status === 504) return settleTimeout(item, expectedVersion, input);
    if (isStaleVersion(error)) {
      try {
        const { value: latest } = await context.api.getItem(item.id);
        context.onChanged(latest);
        showConflict(latest);
      } catch (reloadError) {
        showAlert(
          errorBox,
          `Not saved: the item changed since you opened it, and loading the current version failed: ${asApiError(reloadError).message}`,
        );
      }
      return;
    }
    if (error.status === 404) {
      dialog.close();
      context.onRemoved(item.id);
      return context.notices.error(
        `“${item.name}” no longer exists in the ${context.sourceLabel()} store: ${error.message}`,
      );
    }
    showAlert(errorBox, `Not saved: ${error.message}`);
  }

  return {
    open(item) {
      showAlert(errorBox, null);
      offerRecheck(undefined);
      load(item);
      modal.show();
      fields.focusFirst();
    },
  };
}

/** Deleting also sends `If-Match`, so an item someone just changed is not deleted unseen. */
export function createDeleteDialog(context: ItemDialogContext): ItemDialog {
  const dialog = byId('delete-dialog', HTMLDialogElement);
  const form = byId('delete-form', HTMLFormElement);
  const text = byId('delete-text', HTMLElement);
  const errorBox = byId('delete-error', HTMLElement);
  const modal = prepareDialog(dialog);
  let current: Item | undefined;

  function load(item: Item): void {
    current = item;
    text.textContent = `“${item.name}” (version ${item.version}) will be deleted from the ${context.sourceLabel()} store.`;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const item = current;
    if (!item) return;
    showAlert(errorBox, null);
    try {
      const route = await whileBusy(form, () => context.api.deleteItem(item.id, item.version));
      dialog.close();
      context.onRemoved(item.id);
      const where = context.servedBy(route);
      context.notices.info(`Deleted “${item.name}” from the ${where.label} store.${whereNote(where)}`);
    } catch (error) {
      await handleFailure(item, asApiError(error));
    }
  });

  /**
   * 504 on delete: the item may be gone anyway; a GET tells (404 means it was deleted). When that GET
   * fails too, the user is told what it means in their terms (not the API's instructions for clients);
   * deleting again is safe either way: an item already gone gets a 404, said as "already gone".
   */
  async function settleDeleteTimeout(item: Item): Promise<void> {
    try {
      const { value: latest } = await context.api.getItem(item.id);
      context.onChanged(latest);
      showAlert(
        errorBox,
        `Not deleted: the API timed out and the item is still there (version ${latest.version}).`,
      );
    } catch (checkError) {
      const check = asApiError(checkError);
      if (check.status !== 404) {
        return showAlert(
          errorBox,
          'Not confirmed: the server took too long, so the item may or may not have been deleted, and it could not be read back to find out. Delete again in a moment: if it is already gone, you will be told.',
        );
      }
      dialog.close();
      context.onRemoved(item.id);
      context.notices.info(`Deleted “${item.name}”: the API timed out, but the item is gone.`);
    }
  }

  async function handleFailure(item: Item, error: ApiError): Promise<void> {
    if (error.status === 404) {
      dialog.close();
      context.onRemoved(item.id);
      return context.notices.info(`“${item.name}” was already gone from the ${context.sourceLabel()} store.`);
    }
    if (error.status === 504) return settleDeleteTimeout(item);
    if (!isStaleVersion(error)) return showAlert(errorBox, `Not deleted: ${error.message}`);
    try {
      const { value: latest } = await context.api.getItem(item.id);
      load(latest);
      context.onChanged(latest);
      showAlert(
        errorBox,
        `Not deleted: it was changed meanwhile (now version ${latest.version}). Delete this version?`,
      );
    } catch (reloadError) {
      showAlert(errorBox, `Not deleted, and reloading failed: ${asApiError(reloadError).message}`);
    }
  }

  return {
    open(item) {
      showAlert(errorBox, null);
      load(item);
      modal.show();
      query(form, 'button[data-close]', HTMLButtonElement).focus();
    },
  };
}
