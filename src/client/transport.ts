// The byte stream under an MsnpConnection: a TCP socket (Node) or a WebSocket (the web Messenger in a
// browser, where the same lines and payloads travel as binary messages).
import { connect as netConnect } from 'node:net';
import { WaitTimeoutError } from './errors.ts';

/** Which server a connection goes to: a browser picks the matching WebSocket of the web server. */
export type ServerRole = 'ds' | 'ns' | 'sb';

/** Where to connect: the host:port a referral (XFR NS, XFR SB, RNG) named, and the server's role. */
export interface Destination {
  host: string;
  port: number;
  role: ServerRole;
}

export interface StreamEvents {
  data(chunk: Buffer): void;
  error(error: Error): void;
  /** Once, when the stream is closed (by either side). */
  close(): void;
}

/** An open byte stream to a server. */
export interface ClientStream {
  /** Starts the flow of events; called once, by the MsnpConnection. */
  start(events: StreamEvents): void;
  write(bytes: Buffer): void;
  /** Half-closes (TCP) or closes after what was written (WebSocket). */
  end(): void;
  /** Closes at once. */
  destroy(): void;
}

export interface StreamOptions {
  localAddress?: string;
  timeoutMs: number;
}

/** Opens a stream to a server; rejects when it cannot within `timeoutMs`. */
export type Connector = (to: Destination, opts: StreamOptions) => Promise<ClientStream>;

/** TCP, the transport of every client of the period. */
export const tcpConnector: Connector = ({ host, port }, { localAddress, timeoutMs }) => {
  const socket = netConnect({ host, port, localAddress });
  socket.setNoDelay(true);
  const stream: ClientStream = {
    start(events) {
      socket.on('data', events.data);
      socket.on('error', events.error);
      socket.once('close', () => events.close());
    },
    write: (bytes) => void socket.write(bytes),
    end: () => void socket.end(),
    destroy: () => void socket.destroy(),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new WaitTimeoutError(`connect to ${host}:${port} timed out after ${timeoutMs}ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(stream);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
};
