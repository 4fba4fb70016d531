// The web Messenger (README "Web Messenger"): the page, its script (src/web/messenger bundled by
// esbuild, bundle.ts) and style, and its WebSockets, one per MSNP server. Each WebSocket carries the
// bytes of one MSNP connection, served by msnd's DS, NS or SB code exactly as a TCP connection is.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { messengerScript } from '../bundle.ts';
import type { MsnpRole, WebDeps } from '../deps.ts';
import { clientAddress } from '../client-address.ts';

export const MESSENGER_PATH = '/messenger';

/** The WebSocket of each MSNP server: the browser maps every XFR/RNG address to one of these. */
export const MESSENGER_SOCKET_PATHS: Readonly<Record<MsnpRole, string>> = {
  ds: `${MESSENGER_PATH}/ws/ds`,
  ns: `${MESSENGER_PATH}/ws/ns`,
  sb: `${MESSENGER_PATH}/ws/sb`,
};

const asset = (name: string): string => readFileSync(new URL(`../messenger/${name}`, import.meta.url), 'utf8');

export function messengerRoutes(app: FastifyInstance, deps: WebDeps): void {
  const gateway = deps.messenger;
  if (!gateway) return;
  const page = asset('index.html');
  const style = asset('messenger.css');
  app.get(MESSENGER_PATH, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get(`${MESSENGER_PATH}/messenger.css`, async (_request, reply) => reply.type('text/css; charset=utf-8').send(style));
  app.get(`${MESSENGER_PATH}/messenger.js`, async (_request, reply) => {
    try {
      return reply.type('text/javascript; charset=utf-8').send(await messengerScript());
    } catch (err) {
      deps.log.error({ err }, 'the web Messenger script could not be built');
      throw err;
    }
  });
  for (const [role, path] of Object.entries(MESSENGER_SOCKET_PATHS) as [MsnpRole, string][]) {
    app.get<{ Querystring: { at?: string } }>(path, { websocket: true }, (socket, request) =>
      gateway(role, socket, clientAddress(request), typeof request.query.at === 'string' ? request.query.at : undefined),
    );
  }
}
