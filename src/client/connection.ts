// One connection to a DS, NS or SB (TCP, or a WebSocket: transport.ts), at the wire level: send lines,
// take what arrives.
import { EventEmitter } from 'node:events';
import { Framer } from '../protocol/framer.ts';
import type { Frame } from '../protocol/framer.ts';
import { encodeLine, encodePayloadCommand } from '../protocol/line.ts';
import { ConnectionClosedError, WaitTimeoutError } from './errors.ts';
import { Inbox } from './inbox.ts';
import { MAX_RECEIVED_LINE_BYTES, isErrorCode, isReplyTo, serverPayloadRule, toReceived } from './received.ts';
import type { Matcher, Received } from './received.ts';
import { type ClientStream, type Connector, type ServerRole, tcpConnector } from './transport.ts';

export type Direction = 'C' | 'S';
/** Called with every line sent ('C') or received ('S'), without CR LF; raw writes are shown JSON-quoted. */
export type LogHook = (direction: Direction, line: string) => void;
export type Arg = string | number;

export interface ConnectOptions {
  localAddress?: string;
  /** connect timeout, and the default wait of next()/request() (default 2000) */
  timeoutMs?: number;
  /** the first TrID nextTrId() returns (default 1) */
  firstTrId?: number;
  /**
   * most unclaimed received commands kept in the inbox; beyond it the oldest are dropped
   * (default unlimited; long-running bots that only use events should set e.g. 1000)
   */
  inboxLimit?: number;
  log?: LogHook;
  /** how to reach a server (default TCP; the web Messenger uses WebSockets) */
  connector?: Connector;
}

export interface ConnectionEvents {
  /** every received command, before it reaches the inbox */
  received: [r: Received];
  /** every command sent with send/sendPayload/request (not sendRaw); args include TrID and length */
  sent: [name: string, args: string[]];
  closed: [];
}

export const DEFAULT_TIMEOUT_MS = 2000;

/**
 * Wire-level MSNP connection. Every received command is emitted as 'received' (listeners run first,
 * synchronously) and then put into the inbox, where next()/request() take it.
 */
export class MsnpConnection extends EventEmitter<ConnectionEvents> {
  /** default wait of next(), request(), requestAll() */
  timeoutMs: number;
  log: LogHook | undefined;
  /** resolves when the socket is closed, by either side; never rejects */
  readonly closed: Promise<void>;
  /** why the connection closed: 'closed by server', 'closed by client', or a framing violation */
  closeReason: string | undefined;
  /** socket error, if one happened (e.g. ECONNRESET) */
  socketError: Error | undefined;
  readonly #socket: ClientStream;
  readonly #inbox = new Inbox();
  readonly #framer = new Framer({
    maxLineBytes: MAX_RECEIVED_LINE_BYTES,
    payloadRule: (name) => serverPayloadRule(name),
  });
  #lastTrId = 0;
  #closedByClient = false;
  #resolveClosed!: () => void;

  constructor(socket: ClientStream, opts: ConnectOptions = {}) {
    super();
    this.#socket = socket;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.log = opts.log;
    this.#inbox.limit = opts.inboxLimit ?? Infinity;
    this.#lastTrId = (opts.firstTrId ?? 1) - 1;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.start({
      data: (chunk) => this.#receive(chunk),
      error: (err) => (this.socketError = err),
      close: () => this.#onClose(),
    });
  }

  /** Connects to host:port (the server of `role`: a WebSocket connector needs to know which). */
  static async connect(host: string, port: number, opts: ConnectOptions = {}, role: ServerRole = 'ds'): Promise<MsnpConnection> {
    const connector = opts.connector ?? tcpConnector;
    const stream = await connector(
      { host, port, role },
      { localAddress: opts.localAddress, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS },
    );
    return new MsnpConnection(stream, opts);
  }

  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  /** The next TrID: 1, 2, 3, … (or from opts.firstTrId on) */
  nextTrId(): number {
    return ++this.#lastTrId;
  }

  /** Writes `name args…` CR LF exactly (no TrID added). Throws RangeError for a token with a space. */
  send(name: string, ...args: Arg[]): void {
    this.#write(encodeLine(name, ...args), [name, ...args].join(' '));
    this.emit('sent', name, args.map(String));
  }

  /** Writes `name args… <byte length>` CR LF and the payload (a string is sent as UTF-8). */
  sendPayload(name: string, args: Arg[], payload: Buffer | string): void {
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    const allArgs = [...args, bytes.length].map(String);
    this.#write(encodePayloadCommand(name, args, bytes), [name, ...allArgs].join(' '));
    this.emit('sent', name, allArgs);
  }

  /** Writes bytes as they are (a string as latin1), for malformed-input tests. */
  sendRaw(bytes: Buffer | string): void {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    this.#write(buffer, JSON.stringify(buffer.toString('latin1')));
  }

  /** Sends `name <TrID> args…` and resolves with the first line carrying that TrID (a reply or an error code). */
  async request(name: string, ...args: Arg[]): Promise<Received> {
    const trId = this.nextTrId();
    this.send(name, trId, ...args);
    return this.next(isReplyTo(trId));
  }

  /** Like request, with a payload: `name <TrID> args… <len>` + payload. */
  async requestPayload(name: string, args: Arg[], payload: Buffer | string): Promise<Received> {
    const trId = this.nextTrId();
    this.sendPayload(name, [trId, ...args], payload);
    return this.next(isReplyTo(trId));
  }

  /** Sends `name <TrID> args…` and collects every line with that TrID until isLast(line) or an error code. */
  async requestAll(name: string, args: Arg[], isLast: (r: Received) => boolean): Promise<Received[]> {
    const trId = this.nextTrId();
    this.send(name, trId, ...args);
    const lines: Received[] = [];
    for (;;) {
      const r = await this.next(isReplyTo(trId));
      lines.push(r);
      if (isLast(r) || isErrorCode(r)) return lines;
    }
  }

  /** Takes the first matching received command (waiting up to timeoutMs); rejects on timeout or close. */
  next(matcher?: Matcher, timeoutMs: number = this.timeoutMs): Promise<Received> {
    return this.#inbox.take(matcher, timeoutMs);
  }

  /** Resolves after ms when no matching command is waiting or arrives meanwhile. */
  expectNothing(matcher?: Matcher, ms = 150): Promise<void> {
    return this.#inbox.expectNothing(matcher, ms);
  }

  /** Removes and returns everything in the inbox. */
  drain(): Received[] {
    return this.#inbox.drain();
  }

  /** How many received commands are waiting in the inbox. */
  get pending(): number {
    return this.#inbox.size;
  }

  /** Resolves when the connection is closed; rejects with WaitTimeoutError after timeoutMs. */
  async waitClosed(timeoutMs: number = this.timeoutMs): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WaitTimeoutError(`connection still open after ${timeoutMs}ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection at once. */
  close(): void {
    this.#closedByClient = true;
    this.#socket.destroy();
  }

  /** Half-closes: sends FIN, keeps reading until the server closes. */
  end(): void {
    this.#closedByClient = true;
    this.#socket.end();
  }

  #write(bytes: Buffer, logLine: string): void {
    if (this.isClosed) {
      throw new ConnectionClosedError(`cannot send ${logLine}: connection closed (${this.closeReason})`);
    }
    this.log?.('C', logLine);
    this.#socket.write(bytes);
  }

  #receive(chunk: Buffer): void {
    for (const frame of this.#framer.push(chunk)) this.#handleFrame(frame);
  }

  #handleFrame(frame: Frame): void {
    if (frame.type === 'violation') {
      this.closeReason = `server broke framing: ${frame.reason}`;
      this.log?.('S', `(${this.closeReason})`);
      this.#socket.destroy();
      return;
    }
    const r = toReceived(frame.name, frame.args, frame.payload);
    this.log?.('S', r.line);
    this.emit('received', r);
    this.#inbox.deliver(r);
  }

  #onClose(): void {
    this.closeReason ??= this.#describeClose();
    this.#inbox.close(this.closeReason);
    this.emit('closed');
    this.#resolveClosed();
  }

  #describeClose(): string {
    if (this.#closedByClient) return 'closed by client';
    return this.socketError ? `socket error: ${this.socketError.message}` : 'closed by server';
  }
}
