// The web Messenger in a cluster (README "Web Messenger"): a browser reaches every server through the
// web server of the node it opened, but a switchboard lives on one node (the caller's: RNG names its
// SB). When the SB WebSocket is asked for another live node's SB, its bytes go there over TCP as they
// are: no protocol here, and that node's DS/NS/SB code, limits and close rules serve them.
import { connect } from 'node:net';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { asBuffer } from './transport.ts';

/** Output either side may leave unread before the relay is dropped (as Connection's bound). */
const MAX_PENDING_BYTES = 1024 * 1024;

export async function relayToSwitchboard(
  ws: WebSocket,
  address: string,
  isSwitchboard: ((address: string) => Promise<boolean>) | undefined,
  log: Logger,
): Promise<void> {
  // What arrives while the address is checked waits; ws drops messages that no listener takes.
  const early: Buffer[] = [];
  const hold = (data: RawData): void => void early.push(asBuffer(data));
  ws.on('message', hold);
  const target = hostPort(address);
  const known = target !== undefined && (await (isSwitchboard?.(address) ?? Promise.resolve(false)).catch(() => false));
  ws.off('message', hold);
  if (!target || !known) {
    log.info({ address }, 'web Messenger: no switchboard of this cluster there');
    ws.close(1008, 'no switchboard there');
    return;
  }
  const socket = connect(target);
  socket.setNoDelay(true);
  for (const chunk of early) socket.write(chunk);
  ws.on('message', (data) => {
    if (socket.writableLength > MAX_PENDING_BYTES) return void socket.destroy();
    socket.write(asBuffer(data));
  });
  socket.on('data', (chunk) => {
    if (ws.bufferedAmount > MAX_PENDING_BYTES) return void ws.terminate();
    ws.send(chunk, { binary: true });
  });
  socket.on('error', (err) => log.debug({ err: err.message, address }, 'web Messenger relay: socket error'));
  ws.on('error', () => socket.destroy());
  socket.once('close', () => ws.close(1000));
  ws.once('close', () => socket.destroy());
}

function hostPort(address: string): { host: string; port: number } | undefined {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { host: address.slice(0, colon), port };
}
