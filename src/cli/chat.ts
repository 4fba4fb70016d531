// `msnd chat`: a command-line Messenger client on the client library. It signs in through the DS,
// syncs and goes online. On a terminal it shows a prompt (history, completion of handles; plain text
// goes to the current conversation); with piped input it runs one command after the other, each
// answered (a message acknowledged or refused) before the next, and its exit status says whether
// every command succeeded.
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { MsnClient } from '../client/client.ts';
import { LoginError } from '../client/errors.ts';
import { ALL_DIALECTS, type Dialect } from '../protocol/dialects.ts';
import { isValidHandle } from '../protocol/names.ts';
import { type ChatIo, PipeIo, TerminalIo } from './chat/screen.ts';
import { ChatSession, INBOX_LIMIT } from './chat/session.ts';
import { clock, errorWords, STATUS_WORDS } from './chat/words.ts';

interface ChatOptions {
  server: string;
  handle: string;
  password: string;
  dialect: Dialect;
  status: string;
  reconnect?: boolean;
  interactive?: boolean;
}

/** Waits between sign-in attempts with --reconnect: from the first to the longest. */
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

export function chatCommand(): Command {
  return new Command('chat')
    .description('a command-line Messenger client: sign in, then type /help (reads commands from a pipe too)')
    .addOption(new Option('--server <host:port>', 'Dispatch Server').env('MSND_SERVER').default('127.0.0.1:1863').argParser(parseServer))
    .addOption(new Option('--handle <handle>', 'your account').env('MSND_HANDLE').makeOptionMandatory().argParser(parseHandle))
    .addOption(new Option('--password <password>', 'your messenger password').env('MSND_PASSWORD').makeOptionMandatory())
    .addOption(new Option('--dialect <MSNPn>', 'protocol version to offer').choices(ALL_DIALECTS).default('MSNP5'))
    .addOption(new Option('--status <status>', 'status after signing in').choices(Object.keys(STATUS_WORDS)).default('NLN'))
    .addOption(new Option('--reconnect', 'sign in again when the connection is lost or the server restarts'))
    .addOption(new Option('--interactive', 'prompt mode even when standard input is not a terminal').hideHelp())
    .action(async (options: ChatOptions) => {
      // Standard input may still be open (a terminal, a pipe): exit rather than wait for it.
      process.exit(await runChat(options));
    });
}

function parseServer(value: string): string {
  if (!/^[^\s:]+:\d{1,5}$/.test(value)) throw new InvalidArgumentError('expected host:port');
  return value;
}

function parseHandle(value: string): string {
  if (!isValidHandle(value)) throw new InvalidArgumentError('not an account name (name@domain)');
  return value.toLowerCase();
}

/** Runs the client until /quit, the end of input or the end of the session; resolves with the exit status. */
async function runChat(options: ChatOptions): Promise<number> {
  let chat: ChatSession | undefined;
  const interactive = options.interactive === true || process.stdin.isTTY === true;
  const io: ChatIo = interactive ? new TerminalIo(() => chat?.handles() ?? []) : new PipeIo();
  let failed = false;
  let delay = RECONNECT_FIRST_MS;
  try {
    for (;;) {
      try {
        chat = await signIn(options, io);
        delay = RECONNECT_FIRST_MS;
      } catch (error) {
        io.show(`! sign-in failed: ${signInWords(error, options)}`);
        // Only a session that was up once is retried: a wrong password stays wrong.
        if (!options.reconnect || chat === undefined || error instanceof LoginError) return 1;
        await waitToReconnect(io, delay);
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
        continue;
      }
      const session = chat;
      const outcome = await Promise.race([drive(session, io, () => (failed = true)), session.ended]);
      if (outcome === 'input-done') {
        await session.quit();
        return failed ? 1 : 0;
      }
      if (outcome === '') return failed ? 1 : 0;
      // OUT OTH: signing in again would sign the other place out, and so on (MSNP5.md 10.6).
      if (!options.reconnect || outcome === 'OTH') return 1;
      await waitToReconnect(io, delay);
    }
  } finally {
    io.close();
  }
}

async function signIn(options: ChatOptions, io: ChatIo): Promise<ChatSession> {
  const [host, port] = options.server.split(':') as [string, string];
  const client = await MsnClient.login({
    host,
    port: Number(port),
    handle: options.handle,
    password: options.password,
    dialects: [options.dialect, 'CVR0'],
    inboxLimit: INBOX_LIMIT,
  });
  const chat = new ChatSession(client, io);
  try {
    await chat.start(options.status);
  } catch (error) {
    client.close();
    throw error;
  }
  return chat;
}

/** Runs input lines one after the other; resolves at the end of input or when the session is over. */
async function drive(chat: ChatSession, io: ChatIo, fail: () => void): Promise<'input-done' | 'over'> {
  for (;;) {
    const line = await io.nextLine();
    if (chat.isOver) {
      io.unread(line);
      return 'over';
    }
    if (line === null) return 'input-done';
    if (!(await chat.run(line))) fail();
    io.ready();
    if (chat.isOver) return 'over';
  }
}

async function waitToReconnect(io: ChatIo, ms: number): Promise<void> {
  io.show(`${clock(new Date())} * reconnecting in ${Math.round(ms / 1000)} s`);
  await sleep(ms);
}

function signInWords(error: unknown, options: ChatOptions): string {
  if (error instanceof LoginError && error.code === 0) return `the server does not speak ${options.dialect}`;
  return errorWords(error, options.handle);
}
