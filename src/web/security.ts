// The security headers of every answer (@fastify/helmet) and the CSRF check of the forms a browser
// posts before it is signed in (@fastify/csrf-protection: a secret in a signed cookie, a token in
// the form). Signed-in forms carry the session's own form token (browser.ts); the client's URL
// auto-login form is checked by its MSPAuth and creds (signin.ts), so neither needs this one.
import csrf from '@fastify/csrf-protection';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebDeps } from './deps.ts';
import { STYLESHEET, STYLESHEET_PATH, html } from './html.ts';

const CSRF_COOKIE = 'msnd_csrf';
/** The hidden field of the anonymous forms that carries the CSRF token. */
export const CSRF_FIELD = '_csrf';
/** A year of HSTS, sent only when the public address is https (a plain-http service must stay reachable). */
const HSTS = 'max-age=31536000';

export async function registerSecurity(app: FastifyInstance, deps: WebDeps): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        // msnd's own script files and WebSockets only (the web Messenger); nothing inline, nothing foreign.
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    // Decided per request below: msnd is often served over plain http.
    strictTransportSecurity: false,
  });
  app.addHook('onSend', async (_request, reply) => {
    if (deps.settings.baseUrl.startsWith('https:')) reply.header('strict-transport-security', HSTS);
  });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: {
      path: '/',
      sameSite: 'lax',
      httpOnly: true,
      signed: true,
      // Secure on an https service, as the session cookie (browser.ts). A getter: the plugin copies
      // these options at each cookie it sets, so a reload that changes the web URL applies at once.
      get secure() {
        return deps.settings.baseUrl.startsWith('https:');
      },
    },
  });
  app.get(STYLESHEET_PATH, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );
}

/** The hidden CSRF field of an anonymous form (sets the secret cookie when the browser has none). */
export function csrfField(reply: FastifyReply) {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${reply.generateCsrf()}">`;
}

/** Whether a failed request failed the CSRF check (the plugin's errors). */
export function isCsrfFailure(error: { code?: string }): boolean {
  return error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET';
}

/** preHandler of an anonymous form's POST. */
export function checkCsrf(app: FastifyInstance): (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void {
  return app.csrfProtection.bind(app);
}
