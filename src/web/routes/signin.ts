import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WEB_LOGIN_PATH } from '../../core/web-pages.ts';
import { signInBrowser } from '../browser.ts';
import type { WebDeps } from '../deps.ts';
import { formFields, sendPage } from '../forms.ts';
import { html } from '../html.ts';
import { checkLoginForm, redirectTarget } from '../signin.ts';

/** The auto-login target of URL (MSNP5.md 9.16); the client may post the form or open it as a GET. */
export function signinRoutes(app: FastifyInstance, deps: WebDeps): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => autoLogin(deps, request, reply);
  app.post(WEB_LOGIN_PATH, handler);
  app.get(WEB_LOGIN_PATH, handler);
}

async function autoLogin(deps: WebDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = formFields(request);
  const check = await checkLoginForm(deps, form);
  if (!check.ok) {
    deps.log.info({ web: 'md5auth', reason: check.reason }, 'web sign-in refused');
    const body = html`<p>MSN Messenger could not sign you in to this page. Please sign in to Messenger
again and open the page from its menu once more.</p>`;
    return sendPage(reply, 403, 'Sign-in failed', body);
  }
  await signInBrowser(deps, reply, { id: check.accountId, handle: check.handle });
  deps.log.info({ web: 'md5auth', handle: check.handle }, 'web sign-in');
  return reply.redirect(redirectTarget(form, deps.settings.baseUrl, deps.settings.webmail), 302);
}
