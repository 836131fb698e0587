import {
  characterCount,
  ITEM_DESCRIPTION_MAX_LENGTH as DESCRIPTION_MAX_LENGTH,
  hasItemNameCharacters,
  hasVisibleCharacter,
  ITEM_NAME_MAX_LENGTH as NAME_MAX_LENGTH,
} from '@pr-canary/contracts/item-fields';
import type { Item, ItemInput } from '../api/schema';
import { parsePrice, priceInputValue } from '../format';
import { el } from './dom';

/*
 * The API's rules for an item's fields (contracts' item-fields: characters are Unicode code points,
 * 200 emoji make a valid name), checked here too so mistakes show next to the field.
 */

/**
 * The `maxlength` of a field of `max` characters. Browsers count UTF-16 code units there, two for an
 * emoji, so the attribute allows what the most characters can take, and the field's own check says
 * when there are too many instead of cutting a paste off without a word.
 */
const maxLengthAttribute = (max: number) => String(2 * max);

export interface ItemFields {
  /** The input, or undefined after marking the invalid fields (focus moves to the first). */
  read(): ItemInput | undefined;
  fill(item: Item): void;
  reset(): void;
  focusFirst(): void;
}

interface Field {
  control: HTMLInputElement | HTMLTextAreaElement;
  error: HTMLElement;
}

/** Renders name, price and description fields into `container`; ids are prefixed to stay unique. */
export function renderItemFields(container: HTMLElement, idPrefix: string): ItemFields {
  const name = field(container, `${idPrefix}-name`, 'Name', 'input', {
    required: '',
    maxlength: maxLengthAttribute(NAME_MAX_LENGTH),
    autocomplete: 'off',
  });
  const price = field(container, `${idPrefix}-price`, 'Price', 'input', {
    required: '',
    inputmode: 'decimal',
    autocomplete: 'off',
    placeholder: '0.00',
  });
  const description = field(container, `${idPrefix}-description`, 'Description (optional)', 'textarea', {
    maxlength: maxLengthAttribute(DESCRIPTION_MAX_LENGTH),
    rows: '2',
  });
  const all = [name, price, description];

  return {
    read() {
      for (const f of all) setError(f, null);
      const nameText = name.control.value.trim();
      const descriptionText = description.control.value.trim();
      const parsedPrice = parsePrice(price.control.value);
      if (!hasVisibleCharacter(nameText)) setError(name, 'Enter a name.');
      else if (characterCount(nameText) > NAME_MAX_LENGTH)
        setError(name, `At most ${NAME_MAX_LENGTH} characters.`);
      else if (!hasItemNameCharacters(nameText))
        setError(name, 'No line breaks, control or text-direction characters.');
      if (!parsedPrice.ok) setError(price, parsedPrice.message);
      if (characterCount(descriptionText) > DESCRIPTION_MAX_LENGTH) {
        setError(description, `At most ${DESCRIPTION_MAX_LENGTH} characters.`);
      }
      const firstInvalid = all.find((f) => f.control.getAttribute('aria-invalid') === 'true');
      if (firstInvalid || !parsedPrice.ok) {
        firstInvalid?.control.focus();
        return undefined;
      }
      return { name: nameText, description: descriptionText, priceCents: parsedPrice.priceCents };
    },
    fill(item) {
      name.control.value = item.name;
      price.control.value = priceInputValue(item.priceCents);
      description.control.value = item.description;
      for (const f of all) setError(f, null);
    },
    reset() {
      for (const f of all) {
        f.control.value = '';
        setError(f, null);
      }
    },
    focusFirst() {
      name.control.focus();
    },
  };
}

function field(
  container: HTMLElement,
  id: string,
  label: string,
  tag: 'input' | 'textarea',
  attributes: Record<string, string>,
): Field {
  const error = el('p', { id: `${id}-error`, class: 'field-error' });
  error.hidden = true;
  const control = el(tag, { id, name: id, ...attributes, 'aria-describedby': `${id}-error` });
  container.append(
    el('div', { class: `field field-${tag}` }, el('label', { for: id }, label), control, error),
  );
  return { control, error };
}

function setError(f: Field, message: string | null): void {
  f.error.textContent = message ?? '';
  f.error.hidden = message === null;
  if (message === null) f.control.removeAttribute('aria-invalid');
  else f.control.setAttribute('aria-invalid', 'true');
}
