// The web Messenger (README "Web Messenger"): its WebSockets, one per MSNP server. Each carries the
// bytes of one MSNP connection, served by msnd's DS, NS or SB code exactly as a TCP connection is.
import type { FastifyInstance } from 'fastify';
import type { MsnpRole, WebDeps } from '../deps.ts';

export const MESSENGER_PATH = '/messenger';

/** The WebSocket of each MSNP server: the browser maps every XFR/RNG address to one of these. */
export const MESSENGER_SOCKET_PATHS: Readonly<Record<MsnpRole, string>> = {
  ds: `${MESSENGER_PATH}/ws/ds`,
  ns: `${MESSENGER_PATH}/ws/ns`,
  sb: `${MESSENGER_PATH}/ws/sb`,
};

export function messengerRoutes(app: FastifyInstance, deps: WebDeps): void {
  const gateway = deps.messenger;
  if (!gateway) return;
  for (const [role, path] of Object.entries(MESSENGER_SOCKET_PATHS) as [MsnpRole, string][]) {
    app.get(path, { websocket: true }, (socket, request) => gateway(role, socket, request.ip));
  }
}
