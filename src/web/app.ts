// msnd's web server (fastify): the pages URL hands out, sign-up, admin (DESIGN.md "Web").
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { WebDeps } from './deps.ts';
import { html, page } from './html.ts';
import { accountRoutes } from './routes/account.ts';
import { adminConsoleRoutes } from './routes/admin-console.ts';
import { adminRoutes } from './routes/admin.ts';
import { downloadRoutes } from './routes/download.ts';
import { healthRoutes } from './routes/health.ts';
import { homeRoutes } from './routes/home.ts';
import { mailRoutes } from './routes/mail.ts';
import { messengerRoutes } from './routes/messenger.ts';
import { mobileRoutes } from './routes/mobile.ts';
import { partnerRoutes } from './routes/partners.ts';
import { signinRoutes } from './routes/signin.ts';
import { signupRoutes } from './routes/signup.ts';
import { memberRoutes } from './routes/members.ts';
import { resetRoutes } from './routes/reset.ts';
import { isCsrfFailure, registerSecurity } from './security.ts';
import { clientAddress } from './client-address.ts';

/** Forms are small; anything bigger is refused before it is parsed. */
const BODY_LIMIT_BYTES = 16 * 1024;
/**
 * Largest WebSocket message of the web Messenger: a message is a chunk of the MSNP byte stream, whose
 * own limits (line length, payload sizes) the connection checks; a bigger message closes the socket
 * (1009) before it is buffered whole.
 */
const WEBSOCKET_MESSAGE_LIMIT_BYTES = 64 * 1024;

export async function buildWebApp(deps: WebDeps): Promise<FastifyInstance> {
  // No fastify request logging: URLs carry tokens (verification links), which are never logged.
  // request.ip, which every limit and log line uses (client-address.ts), is then the client behind a trusted proxy.
  const { trustProxy } = deps.settings;
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, trustProxy: trustProxy.length > 0 ? [...trustProxy] : false });
  // One line per request with the route's pattern (never the URL with its query), status and address.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(no route)';
    deps.log.info(
      { method: request.method, route, status: reply.statusCode, remote: clientAddress(request), ms: Math.round(reply.elapsedTime) },
      'web request',
    );
  });
  await app.register(cookie, { secret: deps.keys.cookie.toString('base64') });
  await app.register(formbody);
  await registerSecurity(app, deps);
  await app.register(websocket, { options: { maxPayload: WEBSOCKET_MESSAGE_LIMIT_BYTES } });
  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(404).type('text/html').send(page('Page not found', html`<p>There is no such page. <a href="/">Home</a></p>`)),
  );
  app.setErrorHandler(async (error: { statusCode?: number; code?: string }, request, reply) => {
    if (isCsrfFailure(error)) {
      const body = html`<p>This form has expired. Please <a href="${request.url}">open it again</a> and send it once more.</p>`;
      return reply.code(403).type('text/html').send(page('Form expired', body));
    }
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) deps.log.error({ err: error, path: request.routeOptions.url }, 'web request failed');
    return reply.code(status).type('text/html').send(page('Something went wrong', html`<p>The request could not be handled.</p>`));
  });
  for (const routes of [
    homeRoutes,
    signinRoutes,
    accountRoutes,
    mobileRoutes,
    mailRoutes,
    partnerRoutes,
    signupRoutes,
    memberRoutes,
    resetRoutes,
    downloadRoutes,
    adminRoutes,
    adminConsoleRoutes,
    healthRoutes,
    messengerRoutes,
  ]) {
    routes(app, deps);
  }
  return app;
}

export interface RunningWeb {
  port: number;
  close(): Promise<void>;
}

/** Builds the app and listens on host:port (0 picks a free port). */
export async function startWeb(deps: WebDeps, host: string, port: number): Promise<RunningWeb> {
  const app = await buildWebApp(deps);
  await app.listen({ host, port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return { port: bound, close: () => app.close() };
}
