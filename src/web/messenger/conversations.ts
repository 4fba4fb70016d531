// Conversations: one tab each, with several people; a switchboard session under each (XFR SB or RNG).
// A conversation whose switchboard ended (everyone left, or it went idle) opens a new one and invites
// the same people again when something is sent.
import { decodeName, type MsnClient, SwitchboardSession, type SwitchboardInvitation } from '../../client/index.ts';
import { button, clock, el } from './dom.ts';
import { describe } from './words.ts';

const TYPING_SHOWN_MS = 6000;
const TYPING_SENT_EVERY_MS = 4000;
const JOIN_WAIT_MS = 30_000;

export interface ConversationHost {
  /** The signed-in client (changes after a reconnect). */
  client(): MsnClient;
  /** A display name for a handle: the contact's friendly name, else the handle. */
  nameOf(handle: string): string;
  /** Something changed that the title (unread count) depends on. */
  changed(): void;
  /** An error to show in words. */
  report(text: string): void;
}

let nextId = 1;

export class Conversation {
  readonly id = String(nextId++);
  /** Everyone in the conversation besides this user, handle → wire name. */
  readonly people = new Map<string, string>();
  unread = 0;
  readonly tab: HTMLButtonElement;
  readonly view: HTMLElement;
  private session: SwitchboardSession | undefined;
  private opening: Promise<SwitchboardSession> | undefined;
  private readonly log: HTMLElement;
  private readonly typing: HTMLElement;
  private readonly peopleLine: HTMLElement;
  private readonly typers = new Map<string, ReturnType<typeof setTimeout>>();
  private lastTypingSent = 0;

  constructor(
    private readonly host: ConversationHost,
    onSelect: (c: Conversation) => void,
  ) {
    this.tab = button('', () => onSelect(this), { class: 'chat-tab', 'data-id': this.id });
    this.peopleLine = el('div', { class: 'participants' });
    this.log = el('div', { class: 'messages', 'aria-live': 'polite' });
    this.typing = el('div', { class: 'typing' });
    const input = el('input', {
      class: 'message-input',
      type: 'text',
      maxlength: '1000',
      placeholder: 'Type a message',
      'aria-label': 'Message',
    });
    const form = el('form', { class: 'compose' }, input, el('button', { type: 'submit', class: 'send' }, 'Send'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value;
      if (text.trim() === '') return;
      input.value = '';
      void this.send(text);
    });
    input.addEventListener('input', () => this.typed());
    const inviteInput = el('input', {
      class: 'invite-handle',
      type: 'email',
      placeholder: 'Invite (e-mail address)',
      'aria-label': 'Invite',
    });
    const inviteForm = el('form', { class: 'invite' }, inviteInput, el('button', { type: 'submit', class: 'invite-button' }, 'Invite'));
    inviteForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const handle = inviteInput.value.trim().toLowerCase();
      inviteInput.value = '';
      if (handle) void this.invite(handle);
    });
    const leave = button('Close', () => this.leave(), { class: 'leave' });
    this.view = el(
      'section',
      { class: 'conversation', 'data-id': this.id },
      el('div', { class: 'chat-head' }, this.peopleLine, leave),
      this.log,
      this.typing,
      form,
      inviteForm,
    );
    this.render();
  }

  /** Joins an invitation (RNG). */
  static async answer(
    host: ConversationHost,
    onSelect: (c: Conversation) => void,
    invitation: SwitchboardInvitation,
  ): Promise<Conversation> {
    const conversation = new Conversation(host, onSelect);
    conversation.people.set(invitation.callerHandle, invitation.callerName);
    const session = await SwitchboardSession.answer(host.client(), invitation, {
      connector: host.client().connector,
      inboxLimit: 500,
      timeoutMs: 15_000,
    });
    conversation.attach(session);
    for (const [handle, name] of session.participants) conversation.people.set(handle, name);
    conversation.render();
    return conversation;
  }

  get isActive(): boolean {
    return this.view.classList.contains('active');
  }

  /** Invites someone: into the open switchboard, or into a new one. */
  async invite(handle: string): Promise<void> {
    try {
      const session = await this.switchboard();
      await session.invite(handle);
      this.note(`Inviting ${this.host.nameOf(handle)}…`);
    } catch (error) {
      this.host.report(`${handle} could not be invited: ${describe(error)}`);
    }
  }

  async send(text: string): Promise<void> {
    this.line(this.host.client().friendlyName ? decodeName(this.host.client().friendlyName) : 'me', text, 'own');
    try {
      const session = await this.switchboard();
      await session.send(text);
    } catch (error) {
      this.note(`Not delivered: ${describe(error)}`, 'error');
    }
  }

  markRead(): void {
    this.unread = 0;
    this.render();
  }

  /** The tab and the participants line, from the current state. */
  render(): void {
    const names = [...this.people.keys()].map((h) => this.host.nameOf(h));
    this.peopleLine.textContent = names.length > 0 ? `With ${names.join(', ')}` : 'Nobody else here yet';
    this.tab.textContent = `${names.join(', ') || 'New conversation'}${this.unread > 0 ? ` (${this.unread})` : ''}`;
    this.tab.classList.toggle('unread', this.unread > 0);
    this.tab.setAttribute('data-people', [...this.people.keys()].join(' '));
  }

  close(): void {
    this.session?.close();
    this.view.remove();
    this.tab.remove();
  }

  private leave(): void {
    void this.session?.leave().catch(() => undefined);
    this.close();
    this.host.changed();
  }

  /** The open switchboard, or a new one with the same people invited. */
  private async switchboard(): Promise<SwitchboardSession> {
    if (this.session && !this.session.conn.isClosed) return this.session;
    this.opening ??= this.reopen().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async reopen(): Promise<SwitchboardSession> {
    const client = this.host.client();
    const session = await SwitchboardSession.open(client, { connector: client.connector, inboxLimit: 500, timeoutMs: 15_000 });
    this.attach(session);
    const firstJoin = new Promise<void>((resolve) => session.once('joined', () => resolve()));
    for (const handle of this.people.keys()) await session.invite(handle);
    // A message is relayed only to those in the session: wait (a while) until the first one has joined.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, JOIN_WAIT_MS)));
    if (this.people.size > 0) await Promise.race([firstJoin, session.conn.closed, giveUp]);
    clearTimeout(timer);
    return session;
  }

  private attach(session: SwitchboardSession): void {
    this.session?.close();
    this.session = session;
    session.on('message', (message) => {
      if (message.contentType.startsWith('text/x-msmsgscontrol')) return this.showTyping(message.headers.TypingUser ?? message.from);
      if (!message.contentType.startsWith('text/plain')) return;
      this.stopTyping(message.from);
      this.line(decodeName(message.name), message.body, 'theirs');
      if (!this.isActive || document.hidden) this.unread += 1;
      this.render();
      this.host.changed();
    });
    session.on('joined', (handle, name) => {
      this.people.set(handle, name);
      this.note(`${decodeName(name)} joined.`);
      this.render();
    });
    session.on('left', (handle) => {
      this.stopTyping(handle);
      this.note(`${this.host.nameOf(handle)} left.`);
    });
  }

  private typed(): void {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_SENT_EVERY_MS) return;
    if (!this.session || this.session.conn.isClosed || this.session.participants.size === 0) return;
    this.lastTypingSent = now;
    void this.session.sendTyping().catch(() => undefined);
  }

  private showTyping(handle: string): void {
    clearTimeout(this.typers.get(handle));
    this.typers.set(
      handle,
      setTimeout(() => this.stopTyping(handle), TYPING_SHOWN_MS),
    );
    this.renderTyping();
  }

  private stopTyping(handle: string): void {
    clearTimeout(this.typers.get(handle));
    if (this.typers.delete(handle)) this.renderTyping();
  }

  private renderTyping(): void {
    const names = [...this.typers.keys()].map((h) => this.host.nameOf(h));
    this.typing.textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
  }

  private line(who: string, text: string, kind: 'own' | 'theirs'): void {
    this.log.append(
      el(
        'p',
        { class: `message ${kind}` },
        el('span', { class: 'time' }, clock()),
        el('b', { class: 'from' }, who),
        el('span', { class: 'text' }, text),
      ),
    );
    this.log.scrollTop = this.log.scrollHeight;
  }

  private note(text: string, kind = 'note'): void {
    this.log.append(el('p', { class: kind }, text));
    this.log.scrollTop = this.log.scrollHeight;
  }
}
