// The web Messenger (README "Web Messenger"): msnd's client library in the browser, speaking MSNP over
// the web server's WebSockets. The password stays in this page: the MD5 answer is computed here.
import { encodeName, MsnClient, type SwitchboardInvitation, webSocketConnector, type WebSocketLike } from '../../client/index.ts';
import { type ContactActions, displayName, renderContacts, STATUS_WORDS } from './contacts.ts';
import { Conversation, type ConversationHost } from './conversations.ts';
import { byId, el } from './dom.ts';
import { describe } from './words.ts';

const TITLE = 'MSN Messenger';
const DIALECTS = ['MSNP7', 'MSNP6', 'MSNP5'];
const RETRY_FIRST_MS = 1000;
const RETRY_LAST_MS = 30_000;

// Every server a referral names (XFR NS, XFR SB, RNG) is reached through this web server's WebSocket for its role.
const socketBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/messenger/ws/`;
const connector = webSocketConnector(
  (to) => socketBase + to.role + (to.role === 'sb' ? `?at=${encodeURIComponent(`${to.host}:${to.port}`)}` : ''),
  (url) => new WebSocket(url) as unknown as WebSocketLike,
);

let client: MsnClient | undefined;
let credentials: { handle: string; password: string } | undefined;
let conversations: Conversation[] = [];
let active: Conversation | undefined;

function current(): MsnClient {
  if (!client) throw new Error('not signed in');
  return client;
}

function notice(text: string, kind: 'info' | 'error' = 'info'): void {
  const node = byId('notice');
  node.textContent = text;
  node.className = kind;
  node.hidden = text === '';
}

const host: ConversationHost = {
  client: current,
  nameOf: (handle) => (client ? displayName(client, handle) : handle),
  changed: () => updateTitle(),
  report: (text) => notice(text, 'error'),
};

async function act(what: string, run: (c: MsnClient) => Promise<unknown>): Promise<void> {
  try {
    await run(current());
  } catch (error) {
    notice(`${what}: ${describe(error)}`, 'error');
  }
  render();
}

const actions: ContactActions = {
  chat: (handle) => select(conversationWith(handle)),
  block: (handle) =>
    act(`${handle} could not be blocked`, async (c) => {
      if (c.lists.AL.has(handle)) await c.remove('AL', handle);
      await c.add('BL', handle);
    }),
  unblock: (handle) =>
    act(`${handle} could not be unblocked`, async (c) => {
      await c.remove('BL', handle);
      await c.add('AL', handle);
    }),
  remove: (handle) => act(`${handle} could not be removed`, (c) => c.remove('FL', handle)),
  accept: (handle) =>
    act(`${handle} could not be added`, async (c) => {
      await c.add('AL', handle);
      if (!c.lists.FL.has(handle)) await c.add('FL', handle);
    }),
};

/** The one-to-one conversation with `handle`, or a new one (its switchboard opens at the first message). */
function conversationWith(handle: string): Conversation {
  const found = conversations.find((c) => c.people.size === 1 && c.people.has(handle));
  if (found) return found;
  const conversation = new Conversation(host, select);
  conversation.people.set(handle, current().lists.FL.get(handle) ?? handle);
  conversation.render();
  show(conversation);
  return conversation;
}

function show(conversation: Conversation): void {
  conversations.push(conversation);
  byId('tabs').append(conversation.tab);
  byId('views').append(conversation.view);
  byId('chats').hidden = false;
}

function select(conversation: Conversation): void {
  active = conversation;
  for (const c of conversations) {
    c.view.classList.toggle('active', c === conversation);
    c.tab.classList.toggle('active', c === conversation);
  }
  conversation.markRead();
  document.body.classList.add('chatting');
  conversation.view.querySelector<HTMLInputElement>('.message-input')?.focus();
  updateTitle();
}

function updateTitle(): void {
  conversations = conversations.filter((c) => c.view.isConnected);
  if (active && !active.view.isConnected) active = undefined;
  if (!active) document.body.classList.remove('chatting');
  const unread = conversations.reduce((n, c) => n + c.unread, 0);
  document.title = unread > 0 ? `(${unread}) ${TITLE}` : TITLE;
}

async function answer(invitation: SwitchboardInvitation): Promise<void> {
  try {
    const conversation = await Conversation.answer(host, select, invitation);
    show(conversation);
    if (!active) select(conversation);
  } catch (error) {
    notice(`${invitation.callerHandle} invited you, but the conversation could not be joined: ${describe(error)}`, 'error');
  }
}

function render(): void {
  if (!client) return;
  byId('me').textContent = `${displayName(client, client.handle)} (${client.handle}) — ${STATUS_WORDS[client.status ?? 'NLN'] ?? ''}`;
  byId('contacts').replaceChildren(renderContacts(client, actions));
  for (const c of conversations) c.render();
}

async function signIn(handle: string, password: string): Promise<MsnClient> {
  const next = await MsnClient.login({
    host: location.hostname,
    port: 1863,
    handle,
    password,
    dialects: DIALECTS,
    connector,
    inboxLimit: 1000,
    timeoutMs: 15_000,
  });
  let out = '';
  next.on('out', (reason) => (out = reason));
  next.on('closed', () => void dropped(next, out));
  for (const event of ['presence', 'list', 'status'] as const) next.on(event, () => render());
  next.on('ring', (invitation) => void answer(invitation));
  await next.sync(0);
  await next.changeStatus(byId<HTMLSelectElement>('status-select').value);
  return next;
}

/** The connection ended without a sign-out: sign in again, unless the account signed in elsewhere. */
async function dropped(lost: MsnClient, out: string): Promise<void> {
  if (lost !== client || !credentials) return;
  if (out === 'OTH') return signedOut('You signed in somewhere else, so you were signed out here.');
  notice(out === 'SSD' ? 'The server is restarting. Signing in again…' : 'The connection was lost. Signing in again…', 'error');
  for (let wait = RETRY_FIRST_MS; credentials; wait = Math.min(wait * 2, RETRY_LAST_MS)) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    if (!credentials || lost !== client) return;
    try {
      client = await signIn(credentials.handle, credentials.password);
      notice('The connection was lost; you are signed in again.');
      render();
      return;
    } catch (error) {
      if ((error as { code?: number }).code === 911) return signedOut('Signing in again failed: wrong e-mail address or password.');
      notice(`The connection was lost. Signing in again failed (${describe(error)}); trying again…`, 'error');
    }
  }
}

function signedOut(message: string): void {
  credentials = undefined;
  client = undefined;
  for (const c of conversations) c.close();
  conversations = [];
  active = undefined;
  updateTitle();
  byId('app').hidden = true;
  byId('signout').hidden = true;
  byId('signin').hidden = false;
  byId('me').textContent = '';
  notice(message);
}

function wire(): void {
  byId<HTMLFormElement>('signin').addEventListener('submit', (event) => {
    event.preventDefault();
    const handle = byId<HTMLInputElement>('handle').value.trim().toLowerCase();
    const password = byId<HTMLInputElement>('password').value;
    const submit = byId<HTMLButtonElement>('signin-button');
    submit.disabled = true;
    notice('Signing in…');
    signIn(handle, password)
      .then((signed) => {
        client = signed;
        credentials = { handle, password };
        byId<HTMLInputElement>('password').value = '';
        byId('signin').hidden = true;
        byId('app').hidden = false;
        byId('signout').hidden = false;
        byId<HTMLInputElement>('name-input').value = displayName(signed, signed.handle);
        notice('');
        render();
      })
      .catch((error: unknown) => notice(`Could not sign in: ${describe(error)}`, 'error'))
      .finally(() => (submit.disabled = false));
  });
  byId('signout').addEventListener('click', () => {
    const leaving = client;
    credentials = undefined;
    signedOut('You signed out.');
    void leaving?.signOut().catch(() => leaving.close());
  });
  byId<HTMLSelectElement>('status-select').addEventListener('change', (event) => {
    const status = (event.target as HTMLSelectElement).value;
    void act('Your status could not be changed', (c) => c.changeStatus(status));
  });
  byId<HTMLFormElement>('name-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = byId<HTMLInputElement>('name-input').value.trim();
    if (name) void act('Your name could not be changed', (c) => c.setFriendlyName(encodeName(name)));
  });
  byId<HTMLFormElement>('add-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('add-handle');
    const handle = input.value.trim().toLowerCase();
    input.value = '';
    if (!handle) return;
    void act(`${handle} could not be added`, async (c) => {
      await c.add('FL', handle);
      if (!c.lists.AL.has(handle) && !c.lists.BL.has(handle)) await c.add('AL', handle);
    });
  });
  byId('back').addEventListener('click', () => document.body.classList.remove('chatting'));
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && active) active.markRead();
    updateTitle();
  });
  const select = byId<HTMLSelectElement>('status-select');
  for (const [code, words] of Object.entries(STATUS_WORDS)) if (code !== 'FLN') select.append(el('option', { value: code }, words));
}

wire();
