// The admin console in the browser (/admin/, issue 13): sign-in, dashboard, accounts, alerts,
// outbox, audit log. Its own scope: the CSRF plugin (a signed secret cookie of its own, SameSite
// Strict, path /admin) and an error page of its own; the bearer-token JSON API under /admin stays as it is.
import csrf from '@fastify/csrf-protection';
import type { FastifyInstance } from 'fastify';
import { accountRoutes } from '../admin/accounts.ts';
import { dashboardRoutes } from '../admin/dashboard.ts';
import { sendConsolePage } from '../admin/layout.ts';
import { messageRoutes } from '../admin/messages.ts';
import { ADMIN_PATH } from '../admin/session.ts';
import { consoleSigninRoutes } from '../admin/signin.ts';
import type { WebDeps } from '../deps.ts';
import { html } from '../html.ts';

const CSRF_COOKIE = 'msnd_admin_csrf';

export function adminConsoleRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.register(
    async (scope) => {
      await scope.register(csrf, {
        cookieKey: CSRF_COOKIE,
        cookieOpts: {
          path: ADMIN_PATH,
          sameSite: 'strict',
          httpOnly: true,
          signed: true,
          secure: deps.settings.baseUrl.startsWith('https:'),
        },
        getToken: (request) => {
          const body = request.body as Record<string, unknown> | undefined;
          return typeof body?._csrf === 'string' ? body._csrf : undefined;
        },
      });
      scope.setErrorHandler(async (error: { statusCode?: number; code?: string }, request, reply) => {
        if (error.code === 'FST_CSRF_MISSING_SECRET' || error.code === 'FST_CSRF_INVALID_TOKEN') {
          deps.log.warn({ web: 'admin', remote: request.ip, path: request.routeOptions.url, reason: error.code }, 'admin form refused');
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
