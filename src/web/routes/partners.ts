// N2PACCOUNT, N2PFUND (MSNP6) and CHAT (MSNP7+) (MSNP5.md 9.16): services of others that msnd does not
// run. URL leads to these pages; each sends the browser on to the operator's service when one is
// configured, and otherwise says plainly that this server does not offer it (404, as the webmail
// pages do without a webmail).
import type { FastifyInstance } from 'fastify';
import { PARTNER_SERVICES, SERVICE_PAGES, type PartnerService } from '../../core/web-pages.ts';
import type { WebDeps } from '../deps.ts';
import { sendPage } from '../forms.ts';
import { html } from '../html.ts';

/** What each service is, as the subject of "… are not offered". */
const WHAT: Readonly<Record<PartnerService, string>> = {
  N2PACCOUNT: 'Net2Phone accounts',
  N2PFUND: 'Net2Phone payments',
  CHAT: 'Chat rooms',
};

export function partnerRoutes(app: FastifyInstance, deps: WebDeps): void {
  for (const service of PARTNER_SERVICES) {
    app.get(SERVICE_PAGES[service], async (_request, reply) => {
      const elsewhere = deps.settings.partnerServices[service];
      if (elsewhere) return reply.redirect(elsewhere, 302);
      const body = html`<p id="not-offered">${WHAT[service]} are not offered on this server.</p>
<p>This MSN Messenger service does not run them itself, and its operator has not named another
service that does. <a href="/">Home</a></p>`;
      return sendPage(reply, 404, 'Not offered on this server', body);
    });
  }
}
