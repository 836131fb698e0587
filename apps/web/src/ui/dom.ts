/**
 * Tiny DOM helpers. Text from the API only ever becomes a text node or an attribute value, never HTML.
 */

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child) element.append(child);
  return element;
}

/** The element with this id, checked to be of the expected type (the page's HTML is part of the app). */
export function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`index.html is missing #${id} (${type.name})`);
  return element;
}

export function query<T extends Element>(
  root: ParentNode,
  selector: string,
  type: { new (): T; prototype: T },
): T {
  const element = root.querySelector(selector);
  if (!(element instanceof type)) throw new Error(`missing ${selector}`);
  return element;
}

/** Disables a form's controls while a request is in flight. */
export async function whileBusy<T>(form: HTMLFormElement, work: () => Promise<T>): Promise<T> {
  const controls = [...form.elements].filter(
    (control): control is HTMLButtonElement | HTMLInputElement | HTMLTextAreaElement =>
      control instanceof HTMLButtonElement ||
      control instanceof HTMLInputElement ||
      control instanceof HTMLTextAreaElement,
  );
  form.setAttribute('aria-busy', 'true');
  for (const control of controls) control.disabled = true;
  try {
    return await work();
  } finally {
    for (const control of controls) control.disabled = false;
    form.removeAttribute('aria-busy');
  }
}

/** Shows a message in an alert box, or hides the box for null. */
export function showAlert(box: HTMLElement, message: string | null): void {
  box.textContent = message ?? '';
  box.hidden = message === null;
}
