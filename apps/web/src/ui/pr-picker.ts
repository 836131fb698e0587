import { choiceLabel, type PrChoice, parsePrInput, STABLE } from '../pr-choice';
import { byId, showAlert } from './dom';

export interface PrPicker {
  show(choice: PrChoice): void;
}

export interface PrPickerActions {
  /** A valid choice was made: remember it and use it for every request. */
  onChoose(choice: PrChoice): void;
  /** The user asked to send an invalid value once, to see the API's answer (stable + warning). */
  onTryInvalid(rawKey: string): void;
}

/**
 * The PR number field: validated with the services' own parser, so an invalid value is never chosen.
 * It can still be sent once on request, to show how the stack treats an invalid key.
 */
export function createPrPicker(actions: PrPickerActions): PrPicker {
  const form = byId('pr-form', HTMLFormElement);
  const input = byId('pr-input', HTMLInputElement);
  const error = byId('pr-error', HTMLElement);
  const tryOnce = byId('pr-try', HTMLElement);
  const tryButton = byId('pr-try-button', HTMLButtonElement);
  const stableButton = byId('pr-clear', HTMLButtonElement);
  const pill = byId('pr-current', HTMLElement);
  let rejected: string | null = null;

  function setError(message: string | null, rawKey: string | null = null): void {
    showAlert(error, message);
    rejected = rawKey !== null && isSendableHeaderValue(rawKey) ? rawKey : null;
    tryOnce.hidden = rejected === null;
    if (message === null) input.removeAttribute('aria-invalid');
    else input.setAttribute('aria-invalid', 'true');
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const parsed = parsePrInput(input.value);
    if (!parsed.ok) {
      setError(parsed.message, input.value);
      input.focus();
      return;
    }
    setError(null);
    actions.onChoose(parsed.choice);
  });

  tryButton.addEventListener('click', () => {
    if (rejected !== null) actions.onTryInvalid(rejected);
  });

  stableButton.addEventListener('click', () => {
    setError(null);
    actions.onChoose(STABLE);
  });

  return {
    show(choice) {
      input.value = choice.kind === 'pr' ? choice.pr : '';
      pill.textContent = choiceLabel(choice);
      pill.dataset.kind = choice.kind === 'pr' ? 'canary' : 'stable';
    },
  };
}

/** Printable ASCII only: anything else a browser refuses to send as a header value. */
function isSendableHeaderValue(value: string): boolean {
  return /^[\x20-\x7e]{1,64}$/.test(value);
}
