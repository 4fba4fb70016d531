// What `msnd chat` does with one signed-in session: events in (shown on the screen), commands out.
// Each command resolves true when the server accepted it and false when it was refused, so that a
// script knows whether everything succeeded.
import type { MsnClient } from '../../client/client.ts';
import { decodeName, encodeName, handleAsName } from '../../client/names.ts';
import type { SwitchboardInvitation } from '../../client/referrals.ts';
import { DEFAULT_IM_FORMAT, type SwitchboardMessage, SwitchboardSession } from '../../client/switchboard.ts';
import { isValidHandle } from '../../protocol/names.ts';
import { HELP } from './help.ts';
import { alertWords, clock, endWords, errorWords, mailWords, STATUS_CHOICES, statusCode, statusWords } from './words.ts';

/** Where the session's lines go, and the prompt's conversation. */
export interface Screen {
  show(text: string): void;
  setConversation(handle: string | undefined): void;
}

/** Received commands a long session keeps unclaimed at most (the client is driven by events). */
export const INBOX_LIMIT = 1000;
/** How long a contact has to join a conversation this user opened. */
const JOIN_TIMEOUT_MS = 30_000;
/** The SB refuses (closes on) a longer MSG payload (MSNP5.md 14). */
const MAX_PAYLOAD = 1664;
const PAYLOAD_HEAD = Buffer.byteLength(
  `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: ${DEFAULT_IM_FORMAT}\r\n\r\n`,
);

class UsageError extends Error {}

/** A conversation: a switchboard session, named after the contact it was started with. */
interface Conversation {
  key: string;
  session: SwitchboardSession;
}

export class ChatSession {
  private readonly conversations = new Map<string, Conversation>();
  /** the contact plain text goes to */
  private current: string | undefined;
  private endReason: string | undefined;
  private quitting = false;
  /** the own status is shown once signed in (the sign-in line says it first) */
  private started = false;
  /** resolves with the reason ('' for a sign-out of this user's) when the NS session is over */
  readonly ended: Promise<string>;

  constructor(
    readonly client: MsnClient,
    private readonly screen: Screen,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.ended = new Promise((resolve) => client.once('closed', () => resolve(this.endReason ?? 'lost')));
    this.listen();
  }

  async start(status: string): Promise<void> {
    await this.client.sync(0);
    await this.client.changeStatus(status);
    this.started = true;
    this.show(`signed in as ${this.client.handle} (${this.client.dialect}), ${statusWords(status)}; /help lists the commands`);
    this.printList();
  }

  /** Handles known to this session, for completion. */
  handles(): string[] {
    const { lists } = this.client.model;
    const known = new Set([...lists.FL.keys(), ...lists.RL.keys(), ...lists.BL.keys()]);
    for (const { session } of this.conversations.values()) for (const handle of session.participants.keys()) known.add(handle);
    return [...known].sort();
  }

  get isOver(): boolean {
    return this.client.conn.isClosed;
  }

  /** Runs one input line; resolves false when it failed (the reason is shown). */
  async run(line: string): Promise<boolean> {
    const text = line.replace(/\r$/, '');
    if (text.trim() === '') return true;
    try {
      if (!text.startsWith('/') || text.startsWith('//')) {
        await this.say(text.startsWith('//') ? text.slice(1) : text);
        return true;
      }
      const match = /^(\/\S+)\s*(.*)$/s.exec(text)!;
      return await this.command(match[1]!.toLowerCase(), match[2]!);
    } catch (error) {
      this.show(`! ${error instanceof UsageError ? error.message : errorWords(error, this.client.handle)}`);
      return false;
    }
  }

  async quit(): Promise<void> {
    if (this.quitting || this.isOver) return;
    this.quitting = true;
    this.endReason = '';
    for (const { session } of this.conversations.values()) session.close();
    await this.client.signOut();
  }

  private async command(name: string, rest: string): Promise<boolean> {
    const args = rest.split(/\s+/).filter((arg) => arg !== '');
    switch (name) {
      case '/help':
        this.show(HELP);
        return true;
      case '/list':
      case '/contacts':
        this.printList();
        return true;
      case '/msg': {
        const [, handle = '', text = ''] = /^(\S*) ?(.*)$/s.exec(rest) ?? [];
        if (text.trim() === '') throw new UsageError('usage: /msg <handle> <text>');
        await this.send(contactArg(handle), text);
        return true;
      }
      case '/query':
        if (args.length === 0) return this.showConversations();
        this.current = contactArg(args[0]);
        this.screen.setConversation(this.current);
        this.note(`talking to ${this.describe(this.current)}; plain text goes there`);
        return true;
      case '/who':
        return this.who();
      case '/invite':
        await this.invite(contactArg(args[0]));
        return true;
      case '/leave':
        return this.leave();
      case '/add':
        await this.addContact(contactArg(args[0]), rest.replace(/^\S+\s*/, '').trim());
        return true;
      case '/remove':
        await this.client.remove('FL', contactArg(args[0]));
        return true;
      case '/block':
        await this.block(contactArg(args[0]));
        return true;
      case '/unblock':
        await this.unblock(contactArg(args[0]));
        return true;
      case '/status': {
        const status = statusCode(args[0] ?? '');
        if (status === undefined) throw new UsageError(`usage: /status ${STATUS_CHOICES}`);
        await this.client.changeStatus(status);
        return true;
      }
      case '/name':
        if (rest.trim() === '') throw new UsageError('usage: /name <friendly name>');
        await this.client.setFriendlyName(encodeName(rest.trim()));
        return true;
      case '/quit':
        await this.quit();
        return true;
      default:
        throw new UsageError(`unknown command ${name}; /help lists the commands`);
    }
  }

  private listen(): void {
    const { client } = this;
    client.on('presence', (handle, status) => this.note(`${this.describe(handle)} is ${statusWords(status)}`));
    client.on('list', (change) => {
      if (change.kind === 'rename' && change.handle === client.handle) this.note(`your name is ${decodeName(change.name)}`);
      if (change.kind !== 'add' && change.kind !== 'remove') return;
      const who = change.handle;
      if (change.kind === 'add' && change.list === 'RL' && change.pushed) {
        this.note(
          `${decodeName(change.name)} (${who}) added you to their contacts; /add ${who} to add them back, /block ${who} to block them`,
        );
      }
      if (change.pushed) return;
      const listed = change.kind === 'add';
      if (change.list === 'FL') this.note(listed ? `${who} is in your contacts now` : `${who} is no longer in your contacts`);
      if (change.list === 'BL') this.note(listed ? `${who} is blocked: they cannot see you or write to you` : `${who} is unblocked`);
    });
    client.on('status', (status) => this.started && this.note(`you are ${statusWords(status)}`));
    client.on('ring', (invitation) => void this.accept(invitation));
    client.on('page', (page) => this.note(`page from ${page.from}: ${page.text}`));
    client.on('alert', (alert) => {
      const words = alert.name === 'NOT' ? alertWords(alert) : undefined;
      if (words !== undefined) this.note(`alert: ${words}`);
    });
    client.on('message', (message) => {
      const words = mailWords(message);
      if (words !== undefined) this.note(words);
    });
    client.on('out', (reason) => (this.endReason = reason));
    client.on('closed', () => {
      for (const { session } of this.conversations.values()) session.close();
      this.show(`${this.endReason === '' ? '*' : '!'} ${endWords(this.endReason)}`);
    });
  }

  private printList(): void {
    const { lists, presence } = this.client.model;
    const contacts = [...lists.FL].sort(([a], [b]) => a.localeCompare(b));
    if (contacts.length === 0) this.show('contacts: none yet (/add <handle>)');
    else this.show('contacts:');
    for (const [handle, name] of contacts) {
      const blocked = lists.BL.has(handle) ? ', blocked' : '';
      this.show(`  ${decodeName(name)} (${handle}) ${statusWords(presence.get(handle)?.status)}${blocked}`);
    }
    const strangers = [...lists.RL].filter(([handle]) => !lists.FL.has(handle) && !lists.BL.has(handle));
    if (strangers.length > 0) this.show('who added you (not in your contacts):');
    for (const [handle, name] of strangers) this.show(`  ${nameAndHandle(decodeName(name), handle)}`);
    const blocked = [...lists.BL.keys()].filter((handle) => !lists.FL.has(handle));
    if (blocked.length > 0) this.show(`blocked: ${blocked.join(', ')}`);
  }

  /** 'Bob B (bob@example.com)' where a name is known, else the handle. */
  private describe(handle: string): string {
    const { lists, presence } = this.client.model;
    const wire = presence.get(handle)?.name ?? lists.FL.get(handle) ?? lists.RL.get(handle);
    return nameAndHandle(wire === undefined ? handle : decodeName(wire), handle);
  }

  private async say(text: string): Promise<void> {
    if (this.current === undefined) throw new UsageError('no conversation yet: /query <handle> or /msg <handle> <text>');
    await this.send(this.current, text);
  }

  private async send(handle: string, text: string): Promise<void> {
    const size = PAYLOAD_HEAD + Buffer.byteLength(text);
    if (size > MAX_PAYLOAD) throw new UsageError(`that message is too long by ${size - MAX_PAYLOAD} bytes`);
    const conversation = this.conversations.get(handle) ?? (await this.open(handle));
    await conversation.session.send(text, { mode: 'A' });
    this.current ??= handle;
    this.screen.setConversation(this.current);
    this.showText(conversation, this.client.handle, this.client.friendlyName, text);
  }

  /** XFR SB, CAL and the contact's JOI (MSNP5.md 11.2, 11.3, 11.5). */
  private async open(handle: string): Promise<Conversation> {
    const session = await SwitchboardSession.open(this.client, { inboxLimit: INBOX_LIMIT });
    try {
      await this.call(session, handle);
    } catch (error) {
      session.close();
      throw error;
    }
    return this.track(handle, session);
  }

  private async call(session: SwitchboardSession, handle: string): Promise<void> {
    const joined = new Promise<void>((resolve) => session.on('joined', (who) => who === handle && resolve()));
    await session.invite(handle);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${handle} did not answer`)), JOIN_TIMEOUT_MS);
    });
    try {
      await Promise.race([joined, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async invite(handle: string): Promise<void> {
    if (this.current === undefined) throw new UsageError('no conversation to invite into: /query <handle> first');
    const conversation = this.conversations.get(this.current);
    if (conversation === undefined) {
      await this.open(this.current);
      return this.invite(handle);
    }
    await this.call(conversation.session, handle);
  }

  private who(): boolean {
    const conversation = this.current === undefined ? undefined : this.conversations.get(this.current);
    if (conversation === undefined) throw new UsageError('no open conversation (/query <handle>, then write)');
    const members = [...conversation.session.participants].map(([handle, name]) => `${decodeName(name)} (${handle})`);
    this.show(`in this conversation: you, ${members.join(', ')}`);
    return true;
  }

  private leave(): boolean {
    if (this.current === undefined) throw new UsageError('no conversation to leave');
    this.conversations.get(this.current)?.session.close();
    this.note(`you left the conversation with ${this.current}`);
    this.current = undefined;
    this.screen.setConversation(undefined);
    return true;
  }

  private showConversations(): boolean {
    const open = [...this.conversations.keys()];
    this.show(`talking to: ${this.current ?? 'nobody'}; open conversations: ${open.length === 0 ? 'none' : open.join(', ')}`);
    return true;
  }

  private async addContact(handle: string, name: string): Promise<void> {
    const wire = name === '' ? handleAsName(handle) : encodeName(name);
    await this.client.add('FL', handle, wire);
    const { lists } = this.client.model;
    if (!lists.AL.has(handle) && !lists.BL.has(handle)) await this.client.add('AL', handle, wire);
  }

  /** Off AL, onto BL; an open conversation with only them in it is left, and their lines are hidden. */
  private async block(handle: string): Promise<void> {
    if (this.client.model.lists.AL.has(handle)) await this.client.remove('AL', handle);
    await this.client.add('BL', handle, handleAsName(handle));
    for (const { session } of this.conversations.values()) {
      if ([...session.participants.keys()].every((who) => this.isBlocked(who))) session.close();
    }
  }

  private async unblock(handle: string): Promise<void> {
    await this.client.remove('BL', handle);
    await this.client.add('AL', handle, handleAsName(handle));
  }

  private isBlocked(handle: string): boolean {
    return this.client.model.lists.BL.has(handle);
  }

  /** Someone invites this user: answer and show the conversation (MSNP5.md 9.25, 11.4). */
  private async accept(invitation: SwitchboardInvitation): Promise<void> {
    try {
      const session = await SwitchboardSession.answer(this.client, invitation, { inboxLimit: INBOX_LIMIT });
      this.conversations.get(invitation.callerHandle)?.session.close();
      const conversation = this.track(invitation.callerHandle, session);
      for (const message of session.messages) this.showMessage(conversation, message);
    } catch (error) {
      this.show(`! could not join ${invitation.callerHandle}'s conversation: ${errorWords(error, this.client.handle)}`);
    }
  }

  private track(key: string, session: SwitchboardSession): Conversation {
    const conversation = { key, session };
    this.conversations.set(key, conversation);
    session.on('message', (message) => this.showMessage(conversation, message));
    session.on('joined', (handle, name) => {
      if (!this.isBlocked(handle)) this.note(`${this.tag(conversation)}${nameAndHandle(decodeName(name), handle)} joined the conversation`);
    });
    session.on('left', (handle) => {
      if (!this.isBlocked(handle)) this.note(`${this.tag(conversation)}${handle} left the conversation`);
      if (session.participants.size === 0) session.close();
    });
    session.on('closed', () => {
      if (this.conversations.get(key) === conversation) this.conversations.delete(key);
    });
    return conversation;
  }

  private showMessage(conversation: Conversation, message: SwitchboardMessage): void {
    // Only text; typing notifications and invitations are not shown (MSNP5.md 12.4–12.6).
    if (!message.contentType.startsWith('text/plain')) return;
    if (this.isBlocked(message.from)) return;
    this.showText(conversation, message.from, message.name, message.body);
  }

  private showText(conversation: Conversation, from: string, wireName: string, text: string): void {
    const name = decodeName(wireName) || from;
    const lines = text.replaceAll('\r\n', '\n').split('\n');
    this.show(`${clock(this.now())} ${this.tag(conversation)}<${name}> ${lines.join('\n      ')}`);
  }

  /** '[bob@example.com] ' for a conversation that is not the current one. */
  private tag(conversation: Conversation): string {
    return conversation.key === this.current ? '' : `[${conversation.key}] `;
  }

  /** An event: timestamped, marked with '*'. */
  private note(text: string): void {
    this.show(`${clock(this.now())} * ${text}`);
  }

  private show(text: string): void {
    this.screen.show(text);
  }
}

/** 'Bob B (bob@example.com)', or the handle alone when that is the name. */
function nameAndHandle(name: string, handle: string): string {
  return name === '' || name === handle ? handle : `${name} (${handle})`;
}

function contactArg(value: string | undefined): string {
  if (value === undefined || !isValidHandle(value)) throw new UsageError('usage: a contact is given by its handle, name@domain');
  return value.toLowerCase();
}
