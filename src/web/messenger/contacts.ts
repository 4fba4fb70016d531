// The contact list: groups with their contacts online first, then offline; who added you (accept or
// block); who is blocked (unblock). Rendered anew from the client's model on every change.
import { decodeName, type MsnClient } from '../../client/index.ts';
import { button, el } from './dom.ts';

export const STATUS_WORDS: Record<string, string> = {
  NLN: 'Online',
  BSY: 'Busy',
  IDL: 'Idle',
  BRB: 'Be right back',
  AWY: 'Away',
  PHN: 'On the phone',
  LUN: 'Out to lunch',
  HDN: 'Appear offline',
  FLN: 'Offline',
};

export interface ContactActions {
  chat(handle: string): void;
  block(handle: string): void;
  unblock(handle: string): void;
  remove(handle: string): void;
  /** Someone added you: add them back and allow them. */
  accept(handle: string): void;
}

/** A contact's name for display: the name they go by now (presence), else the one on the list, else the handle. */
export function displayName(client: MsnClient, handle: string): string {
  const wire = client.presence.get(handle)?.name ?? client.lists.FL.get(handle) ?? client.lists.RL.get(handle);
  if (wire === undefined || wire === '') return handle;
  try {
    return decodeName(wire);
  } catch {
    return handle;
  }
}

export function renderContacts(client: MsnClient, actions: ContactActions): HTMLElement {
  const root = el('div', { id: 'contact-groups' });
  const friends = [...client.lists.FL.keys()];
  const groups = new Map<string, string[]>();
  const ungrouped: string[] = [];
  for (const handle of friends) {
    const ids = client.contactGroups.get(handle) ?? [];
    const known = ids.filter((id) => client.groups.has(id));
    if (known.length === 0) ungrouped.push(handle);
    for (const id of known) groups.set(id, [...(groups.get(id) ?? []), handle]);
  }
  for (const [id, wireName] of client.groups) {
    root.append(group(client, actions, decodeName(wireName), groups.get(id) ?? [], `group-${id}`));
  }
  if (ungrouped.length > 0 || client.groups.size === 0) root.append(group(client, actions, 'Contacts', ungrouped, 'group-none'));
  const addedYou = [...client.lists.RL.keys()].filter((h) => !client.lists.AL.has(h) && !client.lists.BL.has(h));
  if (addedYou.length > 0) {
    const rows = addedYou.map((handle) =>
      el(
        'li',
        { class: 'added-you', 'data-handle': handle },
        el('span', { class: 'name' }, `${displayName(client, handle)} (${handle}) added you`),
        button('Accept', () => actions.accept(handle), { class: 'accept' }),
        button('Block', () => actions.block(handle), { class: 'block' }),
      ),
    );
    root.append(el('section', { class: 'group', id: 'added-you' }, el('h3', {}, 'Added you'), el('ul', {}, ...rows)));
  }
  const blocked = [...client.lists.BL.keys()];
  if (blocked.length > 0) {
    const rows = blocked.map((handle) =>
      el(
        'li',
        { class: 'blocked', 'data-handle': handle },
        el('span', { class: 'name' }, handle),
        button('Unblock', () => actions.unblock(handle), { class: 'unblock' }),
      ),
    );
    root.append(el('section', { class: 'group', id: 'blocked' }, el('h3', {}, 'Blocked'), el('ul', {}, ...rows)));
  }
  return root;
}

function group(client: MsnClient, actions: ContactActions, title: string, handles: string[], id: string): HTMLElement {
  const online = handles.filter((h) => client.presence.has(h)).sort(byName(client));
  const offline = handles.filter((h) => !client.presence.has(h)).sort(byName(client));
  return el(
    'section',
    { class: 'group', id },
    el('h3', {}, `${title} (${online.length}/${handles.length})`),
    el('ul', {}, ...online.map((h) => contact(client, actions, h)), ...offline.map((h) => contact(client, actions, h))),
  );
}

function contact(client: MsnClient, actions: ContactActions, handle: string): HTMLElement {
  const status = client.presence.get(handle)?.status ?? 'FLN';
  const blocked = client.lists.BL.has(handle);
  return el(
    'li',
    { class: `contact status-${status.toLowerCase()}`, 'data-handle': handle, 'data-status': status, title: handle },
    el('span', { class: 'dot', 'aria-hidden': 'true' }),
    el('span', { class: 'name' }, displayName(client, handle)),
    el('span', { class: 'status' }, blocked ? 'Blocked' : (STATUS_WORDS[status] ?? status)),
    el(
      'span',
      { class: 'actions' },
      button('Chat', () => actions.chat(handle), { class: 'chat' }),
      blocked
        ? button('Unblock', () => actions.unblock(handle), { class: 'unblock' })
        : button('Block', () => actions.block(handle), { class: 'block' }),
      button('Remove', () => actions.remove(handle), { class: 'remove' }),
    ),
  );
}

function byName(client: MsnClient): (a: string, b: string) => number {
  return (a, b) => displayName(client, a).localeCompare(displayName(client, b));
}
