// node:net in the browser bundle: a browser cannot open TCP; the web Messenger reaches every server
// through its WebSocket connector instead (src/client/websocket.ts).
export function connect(): never {
  throw new Error('a browser cannot open TCP connections: use the WebSocket connector');
}
