// A tiny scripted MSNP server on 127.0.0.1 for client tests: it reads the client's lines and plays
// back prepared ones, so the client library can be tested without msnd.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

const CRLF = '\r\n';

/** The server side of one accepted connection. */
export class ScriptPeer {
  /** every byte the client sent */
  bytes = Buffer.alloc(0);
  readonly closed: Promise<void>;
  /** resolves when the client has ended its side (FIN); the peer stays writable until close() */
  readonly clientEnded: Promise<void>;
  #linesRead = 0;
  #onData: (() => void) | undefined;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.bytes = Buffer.concat([this.bytes, chunk]);
      this.#onData?.();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    this.clientEnded = new Promise((resolve) => socket.on('end', () => resolve()));
  }

  /** Complete lines (latin1, without CR LF) the client sent so far. */
  get lines(): string[] {
    const text = this.bytes.toString('latin1');
    return text.split(CRLF).slice(0, -1);
  }

  /** The client's next line not read yet. */
  async nextLine(timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length <= this.#linesRead) {
      if (Date.now() > deadline) throw new Error(`client sent no line; lines so far: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 20);
        this.#onData = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.lines[this.#linesRead++] as string;
  }

  async expect(line: string): Promise<void> {
    assert.equal(await this.nextLine(), line);
  }

  /** Writes each line with CR LF. */
  send(...lines: string[]): void {
    this.socket.write(lines.map((l) => l + CRLF).join(''));
  }

  /** Writes `line <byte length>` CR LF and the payload. */
  sendPayload(line: string, payload: string): void {
    const bytes = Buffer.from(payload, 'utf8');
    this.socket.write(Buffer.concat([Buffer.from(`${line} ${bytes.length}${CRLF}`, 'latin1'), bytes]));
  }

  write(raw: Buffer | string): void {
    this.socket.write(raw);
  }

  /** Ends the connection (after what was written). */
  close(): void {
    this.socket.end();
  }

  /**
   * Plays a transcript: `C: line` waits for exactly that client line, `S: line` sends it, following
   * `| text` lines are its payload (joined with CR LF, as in sessions.md; the length on the S line
   * must match). Blank lines and `--` comments are skipped. {name} placeholders come from vars.
   */
  async play(transcript: string, vars: Record<string, string | number> = {}): Promise<void> {
    for (const step of parseTranscript(fill(transcript, vars))) {
      if (step.from === 'C') await this.expect(step.line);
      else this.#sendStep(step);
    }
  }

  #sendStep(step: Step): void {
    if (step.payload === undefined) return this.send(step.line);
    const bytes = Buffer.from(step.payload, 'utf8');
    assert.equal(step.line.split(' ').pop(), String(bytes.length), `payload length of ${step.line}`);
    this.socket.write(Buffer.concat([Buffer.from(step.line + CRLF, 'latin1'), bytes]));
  }
}

interface Step {
  from: 'C' | 'S';
  line: string;
  payload?: string;
}

function fill(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => String(vars[name] ?? whole));
}

function parseTranscript(text: string): Step[] {
  const steps: Step[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('|')) appendPayloadLine(steps, line.slice(2));
    else if (line.startsWith('C: ') || line.startsWith('S: ')) {
      steps.push({ from: line[0] as 'C' | 'S', line: line.slice(3) });
    }
  }
  return steps;
}

function appendPayloadLine(steps: Step[], text: string): void {
  const last = steps[steps.length - 1];
  assert.ok(last && last.from === 'S', 'payload line without a server line');
  last.payload = last.payload === undefined ? text : `${last.payload}${CRLF}${text}`;
}

/** A listening server that hands out the accepted connections in order. */
export class ScriptServer {
  #peers: ScriptPeer[] = [];
  #all: ScriptPeer[] = [];
  #waiting: ((peer: ScriptPeer) => void) | undefined;

  private constructor(readonly server: Server) {
    server.on('connection', (socket) => this.#accept(new ScriptPeer(socket)));
  }

  static async start(): Promise<ScriptServer> {
    // half-open: a peer decides itself when to close, even after the client's FIN
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new ScriptServer(server);
  }

  get port(): number {
    const address = this.server.address();
    assert.ok(address && typeof address === 'object');
    return address.port;
  }

  /** The next accepted connection. */
  nextPeer(timeoutMs = 2000): Promise<ScriptPeer> {
    const ready = this.#peers.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no client connected')), timeoutMs);
      this.#waiting = (peer) => {
        clearTimeout(timer);
        resolve(peer);
      };
    });
  }

  async stop(): Promise<void> {
    for (const peer of this.#all) peer.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #accept(peer: ScriptPeer): void {
    this.#all.push(peer);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting(peer);
    else this.#peers.push(peer);
  }
}
