// The web Messenger's WebSockets from Node (the `ws` package): a connector for the client library
// that reaches msnd's DS, NS and SB through /messenger/ws/<role>, as the browser bundle does.
import { WebSocket } from 'ws';
import type { Connector } from '../../src/client/transport.ts';
import { webSocketConnector, type WebSocketLike } from '../../src/client/websocket.ts';
import type { TestMsnd } from './msnd.ts';

export function messengerSocketUrl(s: TestMsnd, role: 'ds' | 'ns' | 'sb'): string {
  return `ws://127.0.0.1:${s.msnd.ports.http}/messenger/ws/${role}`;
}

/** Every connection (the DS, the NS of XFR NS, the SB of XFR SB and RNG) goes to the WebSocket of its role. */
export function messengerConnector(s: TestMsnd): Connector {
  return webSocketConnector(
    (to) => messengerSocketUrl(s, to.role) + (to.role === 'sb' ? `?at=${encodeURIComponent(`${to.host}:${to.port}`)}` : ''),
    (url) => new WebSocket(url) as unknown as WebSocketLike,
  );
}
