// Input and output of `msnd chat`: a prompt on a terminal (node:readline; incoming lines are written
// above the prompt and the line being typed is redrawn), or plain lines through pipes for scripts.
import { clearScreenDown, createInterface, cursorTo, type Interface } from 'node:readline';
import type { Screen } from './session.ts';

const COMMANDS = [
  '/add',
  '/block',
  '/help',
  '/invite',
  '/leave',
  '/list',
  '/msg',
  '/name',
  '/query',
  '/quit',
  '/remove',
  '/status',
  '/unblock',
  '/who',
];

/** Lines in, lines out; lines typed while a command runs wait their turn. */
export abstract class ChatIo implements Screen {
  protected abstract readonly rl: Interface;
  private readonly queued: string[] = [];
  private waiting: ((line: string | null) => void) | undefined;
  private ended = false;

  protected receive(line: string): void {
    const wake = this.waiting;
    this.waiting = undefined;
    if (wake) wake(line);
    else this.queued.push(line);
  }

  protected endOfInput(): void {
    this.ended = true;
    this.waiting?.(null);
    this.waiting = undefined;
  }

  /** The next input line, or null at the end of input. */
  nextLine(): Promise<string | null> {
    const line = this.queued.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Puts a line back (taken by a session that is over; the next session runs it). */
  unread(line: string | null): void {
    if (line !== null) this.queued.unshift(line);
  }

  /** A command finished: ready for the next one. */
  ready(): void {}

  close(): void {
    this.rl.close();
  }

  abstract show(text: string): void;
  abstract setConversation(handle: string | undefined): void;
}

/** Script mode: standard input is not a terminal. */
export class PipeIo extends ChatIo {
  protected readonly rl = createInterface({ input: process.stdin, terminal: false });

  constructor() {
    super();
    this.rl.on('line', (line) => this.receive(line));
    this.rl.on('close', () => this.endOfInput());
  }

  show(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  setConversation(): void {}
}

/** Interactive mode: a prompt that shows the current conversation, history and completion. */
export class TerminalIo extends ChatIo {
  protected readonly rl: Interface;

  constructor(private readonly handles: () => string[]) {
    super();
    this.rl = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: true,
      historySize: 1000,
      removeHistoryDuplicates: true,
      completer: (line: string) => this.complete(line),
    });
    this.rl.on('line', (line) => this.receive(line));
    this.rl.on('close', () => {
      this.closed = true;
      this.endOfInput();
    });
    this.rl.on('SIGINT', () => this.rl.close());
    this.setConversation(undefined);
  }

  private closed = false;

  /** Draws the prompt again, unless input is over (Node 24 throws on a prompt after close). */
  private prompt(): void {
    if (!this.closed) this.rl.prompt(true);
  }

  /** Clears the prompt line, prints, and draws the prompt again with what was being typed. */
  show(text: string): void {
    cursorTo(process.stdout, 0);
    clearScreenDown(process.stdout);
    process.stdout.write(`${text}\n`);
    this.prompt();
  }

  setConversation(handle: string | undefined): void {
    this.rl.setPrompt(handle === undefined ? '> ' : `[${handle}] `);
    this.prompt();
  }

  override ready(): void {
    this.prompt();
  }

  private complete(line: string): [string[], string] {
    const word = line.slice(line.lastIndexOf(' ') + 1);
    const choices = line.includes(' ') ? this.handles() : COMMANDS;
    const hits = choices.filter((choice) => choice.startsWith(word.toLowerCase()));
    return [hits.length > 0 ? hits : [], word];
  }
}
