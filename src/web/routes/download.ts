// The download page, the download URL of CVR/CVQ (MSNP5.md 9.3, 4.4): where to get a Messenger client
// of the period and how to point it at this server (the README's "Pointing a Messenger client").
// msnd hands out no installers and links to no download site: the operator supplies them.
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { DOWNLOAD_PATH } from '../../core/web-pages.ts';
import type { WebDeps } from '../deps.ts';
import { sendPage } from '../forms.ts';
import { html, type Html } from '../html.ts';

/** The Dispatch Server of the official service, which every client of the period connects to first. */
const OFFICIAL_HOST = 'messenger.hotmail.com';
const OFFICIAL_PORT = 1863;

export function downloadRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get(DOWNLOAD_PATH, async (_request, reply) => {
    const { host, port } = deps.settings.dispatchServer;
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const body = html`<p>This is an MSN Messenger service for the Messenger clients of 1999 to 2002. It is
made for <b>MSN Messenger 3.x and 4.x</b>; Messenger 1.0 to 2.2 sign in too. Messenger 5.0 and later
speak a newer protocol, which this server does not.</p>
<p><b>Getting Messenger</b></p>
<p id="installers">This server does not hand out Messenger installers: the operator of this server has
to supply them. Ask the operator for a copy of MSN Messenger 3.x or 4.x.</p>
<p><b>Pointing Messenger at this server</b></p>
<p>Messenger connects to ${OFFICIAL_HOST}, port ${OFFICIAL_PORT}. This server's Dispatch Server is
<b id="dispatch">${address}</b>.</p>
${
  port === OFFICIAL_PORT
    ? hostsWay(host)
    : html`<p id="other-port">It listens on port ${port}, not ${OFFICIAL_PORT}, so a HOSTS
entry alone does not lead Messenger here.</p>`
}
<p>${port === OFFICIAL_PORT ? 'Or use' : 'Use'} a Messenger patched to connect to <b>${address}</b> instead of ${OFFICIAL_HOST}.</p>
<p>Then sign in with your e-mail address and your password. No account yet? <a href="/signup">Sign up</a>.</p>`;
    return sendPage(reply, 200, 'Get MSN Messenger', body);
  });
}

/** A HOSTS entry that sends messenger.hotmail.com to this server (the client then connects to port 1863). */
function hostsWay(host: string): Html {
  const named = isIP(host) === 0;
  return html`<p>Add this line to the HOSTS file of the computer that runs Messenger, then start Messenger:</p>
<p><tt id="hosts-line">${named ? `<address of ${host}>` : host} ${OFFICIAL_HOST}</tt></p>
${named ? html`<p>${host} is a name: the HOSTS file needs its IP address (<tt>ping ${host}</tt> shows it).</p>` : ''}
<p>The HOSTS file is <tt>C:\\WINDOWS\\HOSTS</tt> on Windows 95, 98 and Me, and <tt>system32\\drivers\\etc\\hosts</tt>
in the Windows folder on Windows NT, 2000 and XP (<tt>C:\\WINNT</tt> or <tt>C:\\WINDOWS</tt>).</p>`;
}
