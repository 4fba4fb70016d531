// A lean connection for the hot loops of the load generator: the protocol layer's Framer and a
// byte stream (TCP, or a WebSocket), without the client library's inbox, so that the generator spends little CPU per message.
// Setup steps wait for frames with next(); afterwards every frame goes to onFrame.
import { type ClientStream, type Connector, type ServerRole, tcpConnector } from '../../src/client/transport.ts';
import { Framer, type Frame } from '../../src/protocol/framer.ts';

export type CommandFrame = Extract<Frame, { type: 'command' }>;

interface Waiter {
  matches: (f: CommandFrame) => boolean;
  resolve: (f: CommandFrame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class WireConnection {
  /** frames nobody waits for */
  onFrame: (f: CommandFrame) => void = () => {};
  closed = false;
  private readonly waiters: Waiter[] = [];
  private readonly framer = new Framer({
    maxLineBytes: 16384,
    payloadRule: (name) => (name === 'MSG' ? { maxBytes: 65536 } : undefined),
  });

  /** Resolves when the connection is closed, by either side. */
  readonly whenClosed: Promise<void>;

  private constructor(private readonly stream: ClientStream) {
    let markClosed: () => void = () => {};
    this.whenClosed = new Promise((resolve) => (markClosed = resolve));
    stream.start({
      data: (chunk) => {
        for (const frame of this.framer.push(chunk)) {
          if (frame.type === 'command') this.dispatch(frame);
          else stream.destroy();
        }
      },
      error: () => {},
      close: () => {
        this.closed = true;
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error('connection closed'));
        }
        markClosed();
      },
    });
  }

  /** Over TCP by default; `connector` picks another transport (the web Messenger's WebSockets). */
  static async connect(
    host: string,
    port: number,
    localAddress?: string,
    timeoutMs = 10_000,
    connector: Connector = tcpConnector,
    role: ServerRole = 'sb',
  ): Promise<WireConnection> {
    return new WireConnection(await connector({ host, port, role }, { localAddress, timeoutMs }));
  }

  write(bytes: Buffer | string): void {
    this.stream.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** The next frame that matches (frames before it that match no waiter go to onFrame). */
  next(matches: (f: CommandFrame) => boolean, timeoutMs = 10_000): Promise<CommandFrame> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        matches,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Error(`no matching frame within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      if (this.closed) {
        clearTimeout(waiter.timer);
        reject(new Error('connection closed'));
        return;
      }
      this.waiters.push(waiter);
    });
  }

  /** Sends `NAME trid …` and waits for `NAME trid …` or an error code with that TrID (IRO etc. go to onFrame). */
  async request(line: string, timeoutMs = 10_000): Promise<CommandFrame> {
    const [name, trid] = line.split(' ');
    const reply = this.next((f) => f.args[0] === trid && (f.name === name || /^[0-9]{3}$/.test(f.name)), timeoutMs);
    this.write(`${line}\r\n`);
    return reply;
  }

  close(): void {
    this.stream.destroy();
  }

  private dispatch(frame: CommandFrame): void {
    if (this.waiters.length > 0) {
      const index = this.waiters.findIndex((w) => w.matches(frame));
      if (index !== -1) {
        const [waiter] = this.waiters.splice(index, 1);
        clearTimeout(waiter!.timer);
        waiter!.resolve(frame);
        return;
      }
    }
    this.onFrame(frame);
  }
}
