// The byte stream under one connection (DESIGN.md "server/"): a TCP socket or a WebSocket carries
// the same lines and payloads, and the same Connection, limits and close rules sit on top of either.
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';

export interface TransportEvents {
  data(chunk: Buffer): void;
  error(error: Error): void;
  /** Once, when the stream is closed (by either side). */
  close(): void;
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
  /** Closes at once, dropping what is queued. */
  destroy(): void;
  /** Called once when the stream is closed (besides the Connection's events). */
  onClose(listener: () => void): void;
}

export function socketTransport(socket: Socket): Transport {
  socket.setNoDelay(true);
  return {
    remoteAddress: socket.remoteAddress ?? '',
    get pendingWriteBytes() {
      return socket.writableLength;
    },
    start(events) {
      socket.on('data', events.data);
      socket.on('error', events.error);
      socket.once('close', () => events.close());
    },
    write: (bytes) => void socket.write(bytes),
    end: () => void socket.end(),
    destroy: () => void socket.destroy(),
    onClose: (listener) => void socket.once('close', () => listener()),
  };
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
      ws.on('message', (data) => events.data(asBuffer(data)));
      ws.on('error', events.error);
      ws.once('close', () => events.close());
    },
    write: (bytes) => ws.send(bytes, { binary: true }),
    end: () => ws.close(1000),
    destroy: () => ws.terminate(),
    onClose: (listener) => void ws.once('close', () => listener()),
  };
}

export function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
