// The admin console in the browser (/admin/, issue 13): sign-in, dashboard, accounts, alerts,
// outbox, audit log. Its own scope with an error page of its own; the forms use the site's CSRF
// check (security.ts); the bearer-token JSON API under /admin stays as it is.
import type { FastifyInstance } from 'fastify';
import { accountRoutes } from '../admin/accounts.ts';
import { dashboardRoutes } from '../admin/dashboard.ts';
import { CONSOLE_STYLESHEET, CONSOLE_STYLESHEET_PATH, sendConsolePage } from '../admin/layout.ts';
import { messageRoutes } from '../admin/messages.ts';
import { ADMIN_PATH } from '../admin/session.ts';
import { consoleSigninRoutes } from '../admin/signin.ts';
import type { WebDeps } from '../deps.ts';
import { html } from '../html.ts';
import { clientAddress } from '../client-address.ts';

export function adminConsoleRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get(CONSOLE_STYLESHEET_PATH, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(CONSOLE_STYLESHEET),
  );
  app.register(
    async (scope) => {
      scope.setErrorHandler(async (error: { statusCode?: number; code?: string }, request, reply) => {
        if (error.code === 'FST_CSRF_MISSING_SECRET' || error.code === 'FST_CSRF_INVALID_TOKEN') {
          deps.log.warn(
            { web: 'admin', remote: clientAddress(request), path: request.routeOptions.url, reason: error.code },
            'admin form refused',
          );
          const body = html`<p>This form has expired or did not come from this console. <a href="/admin/">Open the console again</a>.</p>`;
          return sendConsolePage(reply, 403, 'Form refused', body);
        }
        const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
        if (status === 500) deps.log.error({ err: error, path: request.routeOptions.url }, 'admin console request failed');
        return sendConsolePage(reply, status, 'Something went wrong', html`<p>The request could not be handled.</p>`);
      });
      for (const routes of [consoleSigninRoutes, dashboardRoutes, accountRoutes, messageRoutes]) routes(scope, deps);
    },
    { prefix: ADMIN_PATH },
  );
}
