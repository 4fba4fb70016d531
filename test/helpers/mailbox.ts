// Real listeners on loopback for the tests: an SMTP server (smtp-server) that keeps what it receives
// (the one mail catcher of the tests), and an HTTP webhook (node:http) that records each POST and
// answers a chosen status.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** Hands out items in arrival order; `next` waits for one that has not arrived yet. */
class Queue<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((item: T) => void)[] = [];

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  next(timeoutMs: number, what: string): Promise<T> {
    const ready = this.items.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(deliver), 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const deliver = (item: T): void => {
        clearTimeout(timer);
        resolve(item);
      };
      this.waiters.push(deliver);
    });
  }

  get size(): number {
    return this.items.length;
  }
}

export interface ReceivedMail {
  /** SMTP envelope: MAIL FROM and RCPT TO. */
  from: string;
  to: string[];
  parsed: ParsedMail;
  raw: Buffer;
  /** The raw message as text (UTF-8). */
  text: string;
}

/**
 * An SMTP server on 127.0.0.1 (port 0) without TLS or authentication. `next()` takes the messages
 * in arrival order; `waitFor()` finds one by recipient and text among all received (or to come).
 */
export class SmtpCatcher {
  private readonly received = new Queue<ReceivedMail>();
  /** Every message received, in arrival order. */
  readonly messages: ReceivedMail[] = [];
  private readonly waiters: (() => void)[] = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpCatcher> {
    let catcher: SmtpCatcher | undefined;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const to = session.envelope.rcptTo.map((r) => r.address);
          void simpleParser(raw).then((parsed) => catcher!.keep({ from, to, parsed, raw, text: raw.toString('utf8') }));
          callback();
        });
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    catcher = new SmtpCatcher(server, (server.server.address() as AddressInfo).port);
    return catcher;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next message in arrival order. */
  next(timeoutMs = 15_000): Promise<ReceivedMail> {
    return this.received.next(timeoutMs, 'e-mail');
  }

  get waiting(): number {
    return this.received.size;
  }

  /** The first message (received or to come) to `address` whose decoded text matches; next() still sees it. */
  async waitFor(address: string, matches: (text: string) => boolean = () => true, timeoutMs = 15_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m) => m.to.includes(address) && matches(decodeBody(m.text)));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no mail to ${address} after ${timeoutMs}ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private keep(mail: ReceivedMail): void {
    this.messages.push(mail);
    this.received.push(mail);
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** The message text with quoted-printable soft breaks and escapes undone (links survive either way). */
export function decodeBody(text: string): string {
  if (!/^Content-Transfer-Encoding: quoted-printable/im.test(text)) return text;
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export interface WebhookCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP server on 127.0.0.1 (port 0); each request gets the next status of `statuses` (then 200). */
export class WebhookCatcher {
  private readonly calls = new Queue<WebhookCall>();
  readonly statuses: number[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookCatcher> {
    let catcher: WebhookCatcher | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const status = catcher!.statuses.shift() ?? 200;
        catcher!.calls.push({
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    catcher = new WebhookCatcher(server);
    return catcher;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/pages`;
  }

  next(timeoutMs = 15_000): Promise<WebhookCall> {
    return this.calls.next(timeoutMs, 'webhook call');
  }

  get waiting(): number {
    return this.calls.size;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
