// Building the page's elements. Text always goes in as textContent, never as markup: names and
// messages come from other members.

type Attributes = Record<string, string>;
type Child = Node | string;

/** `<tag class=… attrs…>children</tag>`; strings become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

export function button(label: string, onClick: () => void, attrs: Attributes = {}): HTMLButtonElement {
  const node = el('button', { type: 'button', ...attrs }, label);
  node.addEventListener('click', onClick);
  return node;
}

/** The time of day as a person reads it, for message lines. */
export function clock(date = new Date()): string {
  return date.toTimeString().slice(0, 5);
}
