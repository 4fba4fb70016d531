// MSNP over WebSocket (the web Messenger): each binary message is a chunk of the same byte stream as
// TCP. Works with a browser's WebSocket and with the `ws` package's (Node: tests, benchmarks).
import { WaitTimeoutError } from './errors.ts';
import type { ClientStream, Connector, Destination, StreamOptions } from './transport.ts';

/** What is used of a WebSocket: the browser's API, which the `ws` package implements too. */
export interface WebSocketLike {
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number): void;
}

/**
 * A connector that opens `urlFor(destination)`: msnd's web server has one WebSocket per server role
 * (/messenger/ws/ds, /ns, /sb), and a browser cannot reach the host:port that XFR and RNG name.
 */
export function webSocketConnector(
  urlFor: (to: Destination) => string,
  open: (url: string, opts: StreamOptions) => WebSocketLike,
): Connector {
  return (to, opts) =>
    new Promise((resolve, reject) => {
      const url = urlFor(to);
      const socket = open(url, opts);
      const { timeoutMs } = opts;
      socket.binaryType = 'arraybuffer';
      const timer = setTimeout(() => {
        socket.close();
        reject(new WaitTimeoutError(`WebSocket ${url} did not open within ${timeoutMs}ms`));
      }, timeoutMs);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve(streamOf(socket));
      };
      socket.onerror = () => {
        clearTimeout(timer);
        reject(new Error(`WebSocket ${url} failed`));
      };
      socket.onclose = () => {
        clearTimeout(timer);
        reject(new Error(`WebSocket ${url} closed before it opened`));
      };
    });
}

function streamOf(socket: WebSocketLike): ClientStream {
  return {
    start(events) {
      socket.onmessage = ({ data }) => events.data(toBuffer(data));
      socket.onerror = () => events.error(new Error('WebSocket error'));
      socket.onclose = () => events.close();
    },
    write: (bytes) => socket.send(bytes),
    end: () => socket.close(1000),
    destroy: () => socket.close(1000),
  };
}

function toBuffer(data: unknown): Buffer {
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(data as Uint8Array);
}
