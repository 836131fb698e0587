import { choiceLabel, type PrChoice, parsePrInput, STABLE } from '../pr-choice';
import { byId, showAlert } from './dom';

export interface PrPicker {
  show(choice: PrChoice): void;
}

/** The PR number field: validated with the services' own parser before anything is sent. */
export function createPrPicker(onChoose: (choice: PrChoice) => void): PrPicker {
  const form = byId('pr-form', HTMLFormElement);
  const input = byId('pr-input', HTMLInputElement);
  const error = byId('pr-error', HTMLElement);
  const stableButton = byId('pr-clear', HTMLButtonElement);
  const pills = [byId('pr-current', HTMLElement), byId('items-track', HTMLElement)];

  function setError(message: string | null): void {
    showAlert(error, message);
    if (message === null) input.removeAttribute('aria-invalid');
    else input.setAttribute('aria-invalid', 'true');
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const parsed = parsePrInput(input.value);
    if (!parsed.ok) {
      setError(parsed.message);
      input.focus();
      return;
    }
    setError(null);
    onChoose(parsed.choice);
  });

  stableButton.addEventListener('click', () => {
    setError(null);
    onChoose(STABLE);
  });

  return {
    show(choice) {
      input.value = choice.kind === 'pr' ? choice.pr : '';
      for (const pill of pills) {
        pill.textContent = choiceLabel(choice);
        pill.dataset.kind = choice.kind === 'pr' ? 'canary' : 'stable';
      }
    },
  };
}
