// The byte stream under one connection (DESIGN.md "server/"): a TCP socket or a WebSocket carries
// the same lines and payloads, and the same Connection, limits and close rules sit on top of either.
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';

/** What a transport tells its Connection (the Connection itself: no closures per connection). */
export interface TransportEvents {
  receive(chunk: Buffer): void;
  transportError(error: Error): void;
  /** Once, when the stream is closed (by either side). */
  peerClosed(): void;
}

export interface Transport {
  /** The peer's address, as the admission pools and the logs count it. */
  readonly remoteAddress: string;
  /** Bytes written and not yet taken by the peer (the slow-reader bound reads it). */
  readonly pendingWriteBytes: number;
  /** Starts the flow of events; called once, by the Connection. */
  start(events: TransportEvents): void;
  write(bytes: Buffer): void;
  /** Flushes what was written, then closes. */
  end(): void;
  /** Closes at once, dropping what is queued; `reason`, if any, is why (destroyReasonOf). */
  destroy(reason?: string): void;
  /**
   * Called once when the stream is closed, before the Connection hears of it. One listener per
   * transport (the server's, which all its transports share: no closure per connection).
   */
  onClose(listener: (transport: Transport) => void): void;
}

/**
 * Why a transport was destroyed by the server without its Connection knowing (a connection shed by
 * an admission pool), for the Connection's 'connection closed' line. Rare: a WeakMap, not a
 * property that every transport would carry.
 */
const destroyReasons = new WeakMap<Transport, string>();

function noteDestroyReason(transport: Transport, reason: string | undefined): void {
  if (reason !== undefined) destroyReasons.set(transport, reason);
}

/** The reason given to `destroy`, if the transport was destroyed with one. */
export function destroyReasonOf(transport: Transport): string | undefined {
  return destroyReasons.get(transport);
}

/**
 * Each socket's transport, for the listeners below, which all sockets share (no closures per
 * connection). A WeakMap rather than a property: one more property on a Socket grows its property
 * array by some hundred bytes (heap snapshots of the idle bench).
 */
const socketTransports = new WeakMap<Socket, SocketTransport>();

function onData(this: Socket, chunk: Buffer): void {
  socketTransports.get(this)?.events?.receive(chunk);
}

function onError(this: Socket, error: Error): void {
  socketTransports.get(this)?.events?.transportError(error);
}

// 'close' comes once per socket: `on` rather than `once`, whose wrapper costs each socket some 150 bytes.
function onClose(this: Socket): void {
  socketTransports.get(this)?.closed();
}

class SocketTransport implements Transport {
  events: TransportEvents | undefined;
  private closeListener: ((transport: Transport) => void) | undefined;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socketTransports.set(socket, this);
    socket.on('close', onClose);
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get pendingWriteBytes(): number {
    return this.socket.writableLength;
  }

  start(events: TransportEvents): void {
    this.events = events;
    this.socket.on('data', onData);
    this.socket.on('error', onError);
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  end(): void {
    this.socket.end();
  }

  destroy(reason?: string): void {
    noteDestroyReason(this, reason);
    this.socket.destroy();
  }

  onClose(listener: (transport: Transport) => void): void {
    if (this.closeListener) throw new Error('a transport has one close listener');
    this.closeListener = listener;
  }

  closed(): void {
    this.closeListener?.(this);
    this.events?.peerClosed();
  }
}

export function socketTransport(socket: Socket): Transport {
  return new SocketTransport(socket);
}

/**
 * A WebSocket of the web Messenger: its messages are chunks of the same byte stream as TCP (a
 * message may hold part of a line, or several), so the framer, the limits and the close rules are
 * the Connection's, as for a socket. What is written goes out as binary messages.
 */
export function webSocketTransport(ws: WebSocket, remoteAddress: string): Transport {
  return {
    remoteAddress,
    get pendingWriteBytes() {
      return ws.bufferedAmount;
    },
    start(events) {
      ws.on('message', (data) => events.receive(asBuffer(data)));
      ws.on('error', (error) => events.transportError(error));
      ws.once('close', () => events.peerClosed());
    },
    // What a turn wrote leaves as one message (connection.ts); the browser reads them as one stream anyway.
    write: (bytes) => ws.send(bytes, { binary: true }),
    end: () => ws.close(1000),
    destroy(reason) {
      noteDestroyReason(this, reason);
      ws.terminate();
    },
    onClose(listener) {
      ws.once('close', () => listener(this));
    },
  };
}

export function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
