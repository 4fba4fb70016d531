// INBOX, COMPOSE and FOLDERS (MSNP5.md 9.16): msnd has no mailbox of its own; these pages send the
// browser on to the operator's webmail, or say that there is none (then EmailEnabled is 0, 12.1).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HOTMAIL_PATHS, SERVICE_PAGES } from '../../core/web-pages.ts';
import { isValidHandle } from '../../protocol/names.ts';
import type { WebDeps } from '../deps.ts';
import { formFields, sendPage } from '../forms.ts';
import { html } from '../html.ts';

const COMPOSE_PATHS: readonly string[] = [SERVICE_PAGES.COMPOSE, '/cgi-bin/compose'];

export function mailRoutes(app: FastifyInstance, deps: WebDeps): void {
  for (const path of [SERVICE_PAGES.INBOX, SERVICE_PAGES.FOLDERS, SERVICE_PAGES.COMPOSE, ...HOTMAIL_PATHS]) {
    app.get(path, async (request, reply) => toWebmail(deps, request, reply, COMPOSE_PATHS.includes(path)));
  }
}

function toWebmail(deps: WebDeps, request: FastifyRequest, reply: FastifyReply, compose: boolean): FastifyReply {
  const webmail = deps.settings.webmail;
  if (!webmail) return sendPage(reply, 404, 'No e-mail here', html`<p>This service has no webmail. <a href="/">Home</a></p>`);
  const to = formFields(request).to;
  if (!compose || !to || !isValidHandle(to)) return reply.redirect(webmail, 302);
  const url = new URL(webmail);
  url.searchParams.set('to', to);
  return reply.redirect(url.href, 302);
}
