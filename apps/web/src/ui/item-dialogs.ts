import type { ApiClient } from '../api/client';
import { type ApiError, asApiError } from '../api/errors';
import type { Item } from '../api/schema';
import { formatTimestamp } from '../format';
import { byId, query, showAlert, whileBusy } from './dom';
import { renderItemFields } from './item-fields';
import type { Notices } from './notices';

export interface ItemDialogContext {
  api: ApiClient;
  notices: Notices;
  /** "stable" or "PR 42": whose store the user is looking at. */
  trackLabel: () => string;
  /** The item changed (saved here, or found changed by someone else). */
  onChanged: (item: Item) => void;
  /** The item no longer exists. */
  onRemoved: (id: string) => void;
}

export interface ItemDialog {
  open(item: Item): void;
}

/** Native modal <dialog>: focus is trapped, Escape closes; focus returns to the button that opened it. */
function prepareDialog(dialog: HTMLDialogElement): { show(): void } {
  let opener: HTMLElement | null = null;
  for (const button of dialog.querySelectorAll('[data-close]')) {
    button.addEventListener('click', () => dialog.close());
  }
  dialog.addEventListener('close', () => {
    if (opener?.isConnected) opener.focus();
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
 * Editing uses optimistic concurrency: PUT carries `If-Match: "<version>"`. On 409 the latest version is
 * loaded into the form and the user is told to re-apply their change; nothing is overwritten blindly.
 */
export function createEditDialog(context: ItemDialogContext): ItemDialog {
  const dialog = byId('edit-dialog', HTMLDialogElement);
  const form = byId('edit-form', HTMLFormElement);
  const meta = byId('edit-meta', HTMLElement);
  const errorBox = byId('edit-error', HTMLElement);
  const fields = renderItemFields(query(form, '.fields', HTMLElement), 'edit');
  const modal = prepareDialog(dialog);
  let current: Item | undefined;

  function load(item: Item): void {
    current = item;
    fields.fill(item);
    meta.textContent = `Version ${item.version}, last changed ${formatTimestamp(item.updatedAt)}`;
  }

  async function reloadAfterConflict(item: Item, error: ApiError): Promise<void> {
    const latest = await context.api.getItem(item.id);
    load(latest);
    context.onChanged(latest);
    showAlert(
      errorBox,
      `Not saved: this item was changed by someone else (${error.message}). ` +
        `The form now shows the latest version (${latest.version}); make your change again and save.`,
    );
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const item = current;
    const input = fields.read();
    if (!item || !input) return;
    showAlert(errorBox, null);
    try {
      const saved = await whileBusy(form, () => context.api.updateItem(item.id, item.version, input));
      context.onChanged(saved);
      dialog.close();
      context.notices.info(`Saved “${saved.name}” (version ${saved.version}) on ${context.trackLabel()}.`);
    } catch (error) {
      await handleFailure(item, error);
    }
  });

  async function handleFailure(item: Item, error: unknown): Promise<void> {
    const apiError = asApiError(error);
    try {
      if (apiError.status === 409) return await reloadAfterConflict(item, apiError);
    } catch (reloadError) {
      return showAlert(errorBox, `Not saved, and reloading failed: ${asApiError(reloadError).message}`);
    }
    if (apiError.status === 404) {
      dialog.close();
      context.onRemoved(item.id);
      return context.notices.error(
        `“${item.name}” no longer exists on ${context.trackLabel()}: ${apiError.message}`,
      );
    }
    showAlert(errorBox, `Not saved: ${apiError.message}`);
  }

  return {
    open(item) {
      showAlert(errorBox, null);
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
    text.textContent = `“${item.name}” (version ${item.version}) will be deleted from the ${context.trackLabel()} store.`;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const item = current;
    if (!item) return;
    showAlert(errorBox, null);
    try {
      await whileBusy(form, () => context.api.deleteItem(item.id, item.version));
      dialog.close();
      context.onRemoved(item.id);
      context.notices.info(`Deleted “${item.name}” from ${context.trackLabel()}.`);
    } catch (error) {
      await handleFailure(item, asApiError(error));
    }
  });

  async function handleFailure(item: Item, error: ApiError): Promise<void> {
    if (error.status === 404) {
      dialog.close();
      context.onRemoved(item.id);
      return context.notices.info(`“${item.name}” was already gone from ${context.trackLabel()}.`);
    }
    if (error.status !== 409) return showAlert(errorBox, `Not deleted: ${error.message}`);
    try {
      const latest = await context.api.getItem(item.id);
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
