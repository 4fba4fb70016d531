// `msnd chat`: a command-line Messenger client on the client library. It signs in through the DS,
// syncs, goes online and then reads commands from standard input, one per line, and prints what
// happens, one event per line, so that a person or a script can drive it.
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError, Option } from 'commander';
import { MsnClient } from '../client/client.ts';
import { decodeName, encodeName, handleAsName } from '../client/names.ts';
import type { SwitchboardInvitation } from '../client/referrals.ts';
import { SwitchboardSession, type SwitchboardMessage } from '../client/switchboard.ts';
import { ALL_DIALECTS, type Dialect } from '../protocol/dialects.ts';
import { isValidHandle } from '../protocol/names.ts';

interface ChatOptions {
  server: string;
  handle: string;
  password: string;
  dialect: Dialect;
  status: string;
}

const STATUSES = ['NLN', 'BSY', 'IDL', 'BRB', 'AWY', 'PHN', 'LUN', 'HDN'];
/** Received commands a long session keeps unclaimed at most (the client is driven by events). */
const INBOX_LIMIT = 1000;

const HELP = [
  'commands:',
  '  /list                      contacts (FL) and their status',
  '  /msg <handle> <text>       send a message (opens a conversation if needed)',
  '  /add <handle> [name]       add a contact (FL and AL)',
  '  /remove <handle>           remove a contact from FL',
  '  /block <handle>            block (BL); /unblock <handle> undoes it',
  '  /status <NLN|BSY|IDL|BRB|AWY|PHN|LUN|HDN>',
  '  /name <friendly name>      change your name',
  '  /quit                      sign out',
].join('\n');

export function chatCommand(): Command {
  return new Command('chat')
    .description('a command-line Messenger client: sign in, then type /help')
    .addOption(new Option('--server <host:port>', 'Dispatch Server').env('MSND_SERVER').default('127.0.0.1:1863').argParser(parseServer))
    .addOption(new Option('--handle <handle>', 'your account').env('MSND_HANDLE').makeOptionMandatory().argParser(parseHandle))
    .addOption(new Option('--password <password>', 'your messenger password').env('MSND_PASSWORD').makeOptionMandatory())
    .addOption(new Option('--dialect <MSNPn>', 'protocol version to offer').choices(ALL_DIALECTS).default('MSNP5'))
    .addOption(new Option('--status <status>', 'status after signing in').choices(STATUSES).default('NLN'))
    .action((options: ChatOptions) => runChat(options));
}

function parseServer(value: string): string {
  if (!/^[^\s:]+:\d{1,5}$/.test(value)) throw new InvalidArgumentError('expected host:port');
  return value;
}

function parseHandle(value: string): string {
  if (!isValidHandle(value)) throw new InvalidArgumentError('not an account name (name@domain)');
  return value.toLowerCase();
}

async function runChat(options: ChatOptions): Promise<void> {
  const [host, port] = options.server.split(':') as [string, string];
  const client = await MsnClient.login({
    host,
    port: Number(port),
    handle: options.handle,
    password: options.password,
    dialects: [options.dialect, 'CVR0'],
    inboxLimit: INBOX_LIMIT,
  });
  const chat = new ChatClient(client, (line) => console.log(line));
  await chat.start(options.status);
  const input = createInterface({ input: process.stdin, terminal: false });
  const ended = new Promise<void>((resolve) => client.once('closed', resolve));
  input.on('close', () => void chat.quit());
  for await (const line of input) {
    if (!(await chat.handle(line))) break;
  }
  await ended;
  input.close();
}

/** What the command-line client does with the session: events in, commands out. */
export class ChatClient {
  /** One conversation per contact that this user or the contact started. */
  private readonly conversations = new Map<string, SwitchboardSession>();
  private quitting = false;

  constructor(
    private readonly client: MsnClient,
    private readonly print: (line: string) => void,
  ) {}

  async start(status: string): Promise<void> {
    this.listen();
    await this.client.sync(0);
    await this.client.changeStatus(status);
    this.print(`signed in as ${this.client.handle} (${this.client.dialect}), ${status}; /help lists the commands`);
    this.printList();
  }

  /** Runs one input line; false once the session is over. */
  async handle(line: string): Promise<boolean> {
    const [command = '', ...rest] = line.trim().split(/\s+/);
    if (command === '') return true;
    try {
      return await this.run(command, rest, line.trim());
    } catch (error) {
      this.print(`! ${describeError(error)}`);
      return !this.client.conn.isClosed;
    }
  }

  async quit(): Promise<void> {
    if (this.quitting || this.client.conn.isClosed) return;
    this.quitting = true;
    for (const session of this.conversations.values()) session.close();
    await this.client.signOut();
  }

  private async run(command: string, args: string[], line: string): Promise<boolean> {
    switch (command) {
      case '/help':
        this.print(HELP);
        return true;
      case '/list':
        this.printList();
        return true;
      case '/msg':
        await this.message(args[0], line.split(/\s+/).slice(2).join(' '));
        return true;
      case '/add':
        await this.addContact(contactArg(args[0]), args.slice(1).join(' '));
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
      case '/status':
        await this.client.changeStatus(statusArg(args[0]));
        return true;
      case '/name':
        await this.client.setFriendlyName(encodeName(nameArg(args.join(' '))));
        return true;
      case '/quit':
        await this.quit();
        return false;
      default:
        this.print(`! unknown command ${command}; /help lists the commands`);
        return true;
    }
  }

  private listen(): void {
    const { client } = this;
    client.on('presence', (handle, status, name) => {
      this.print(status === null ? `* ${handle} is offline` : `* ${handle} (${decodeName(name ?? '')}) is ${status}`);
    });
    client.on('list', (change) => {
      if (change.kind === 'add' && change.list === 'RL' && change.pushed) {
        this.print(`* ${change.handle} (${decodeName(change.name)}) added you to their list; /add ${change.handle} to add them back`);
      }
      if (change.kind === 'add' && change.list !== 'RL' && !change.pushed) this.print(`* ${change.handle} is on your ${change.list} now`);
      if (change.kind === 'remove' && change.list !== 'RL' && !change.pushed) this.print(`* ${change.handle} left your ${change.list}`);
      if (change.kind === 'rename' && change.handle === client.handle) this.print(`* your name is ${decodeName(change.name)}`);
    });
    client.on('status', (status) => this.print(`* your status is ${status}`));
    client.on('ring', (invitation) => void this.accept(invitation));
    client.on('page', (page) => this.print(`[page from ${page.from}] ${page.text}`));
    client.on('out', (reason) => {
      if (reason === 'OTH') this.print('! signed out: you signed in somewhere else');
      if (reason === 'SSD') this.print('! signed out: the server is shutting down');
    });
    client.on('closed', () => {
      for (const session of this.conversations.values()) session.close();
      this.print('* signed out');
    });
  }

  private printList(): void {
    const contacts = [...this.client.model.lists.FL];
    if (contacts.length === 0) this.print('contacts: none yet (/add <handle>)');
    for (const [handle, name] of contacts) {
      const presence = this.client.model.presence.get(handle);
      this.print(`contact ${handle} (${decodeName(name)}) ${presence?.status ?? 'offline'}`);
    }
  }

  private async addContact(handle: string, name: string): Promise<void> {
    const wire = name === '' ? handleAsName(handle) : encodeName(name);
    await this.client.add('FL', handle, wire);
    if (!this.client.model.lists.AL.has(handle) && !this.client.model.lists.BL.has(handle)) await this.client.add('AL', handle, wire);
  }

  private async block(handle: string): Promise<void> {
    if (this.client.model.lists.AL.has(handle)) await this.client.remove('AL', handle);
    await this.client.add('BL', handle, handleAsName(handle));
  }

  private async unblock(handle: string): Promise<void> {
    await this.client.remove('BL', handle);
    await this.client.add('AL', handle, handleAsName(handle));
  }

  private async message(rawHandle: string | undefined, text: string): Promise<void> {
    const handle = contactArg(rawHandle);
    if (text === '') throw new UsageError('/msg <handle> <text>');
    const session = this.conversations.get(handle) ?? (await this.open(handle));
    await session.send(text, { mode: 'A' });
  }

  /** XFR SB, CAL and the contact's JOI (MSNP5.md 11.2, 11.3, 11.5). */
  private async open(handle: string): Promise<SwitchboardSession> {
    const session = await SwitchboardSession.open(this.client, { inboxLimit: INBOX_LIMIT });
    try {
      const joined = new Promise<void>((resolve) => session.once('joined', () => resolve()));
      await session.invite(handle);
      await withTimeout(joined, 30_000, `${handle} did not answer`);
    } catch (error) {
      session.close();
      throw error;
    }
    this.track(handle, session);
    return session;
  }

  /** Someone invites this user: answer and show the conversation (MSNP5.md 9.25, 11.4). */
  private async accept(invitation: SwitchboardInvitation): Promise<void> {
    try {
      const session = await SwitchboardSession.answer(this.client, invitation, { inboxLimit: INBOX_LIMIT });
      this.conversations.get(invitation.callerHandle)?.close();
      this.track(invitation.callerHandle, session);
      for (const message of session.messages) this.showMessage(message);
    } catch (error) {
      this.print(`! could not join ${invitation.callerHandle}'s conversation: ${describeError(error)}`);
    }
  }

  private track(handle: string, session: SwitchboardSession): void {
    this.conversations.set(handle, session);
    session.on('message', (message) => this.showMessage(message));
    session.on('left', (who) => {
      if (who === handle) session.close();
    });
    session.on('closed', () => {
      if (this.conversations.get(handle) === session) this.conversations.delete(handle);
    });
  }

  private showMessage(message: SwitchboardMessage): void {
    // Only text; typing notifications and invitations are not shown (MSNP5.md 12.4–12.6).
    if (!message.contentType.startsWith('text/plain')) return;
    this.print(`<${message.from}> ${message.body}`);
  }
}

class UsageError extends Error {
  constructor(usage: string) {
    super(`usage: ${usage}`);
    this.name = 'UsageError';
  }
}

function contactArg(value: string | undefined): string {
  if (value === undefined || !isValidHandle(value)) throw new UsageError('a contact is given by its handle, name@domain');
  return value.toLowerCase();
}

function statusArg(value: string | undefined): string {
  if (value === undefined || !STATUSES.includes(value.toUpperCase())) throw new UsageError(`/status ${STATUSES.join('|')}`);
  return value.toUpperCase();
}

function nameArg(value: string): string {
  if (value.trim() === '') throw new UsageError('/name <friendly name>');
  return value.trim();
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
