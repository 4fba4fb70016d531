// The frame of the admin console's pages: the look of the member pages (web/html.ts), wider for
// tables, with the console's menu. No script anywhere: every action is a plain form.
import type { FastifyReply } from 'fastify';
import { percentDecode } from '../../protocol/names.ts';
import type { Notice } from '../forms.ts';
import { framed, type Html, html } from '../html.ts';

/** The signed-in admin and the CSRF token its forms carry. */
export interface ConsoleView {
  handle: string;
  csrf: string;
}

/** The console's stylesheet, a file of its own: the site's content security policy allows no inline style. */
export const CONSOLE_STYLESHEET_PATH = '/admin.css';
export const CONSOLE_STYLESHEET = `body { font-family: Verdana, Arial, sans-serif; font-size: 13px; background: #ffffff; color: #000000; margin: 0; }
.bar { background: #336699; color: #ffffff; padding: 6px 12px; font-weight: bold; }
.bar a { color: #ffffff; margin-right: 12px; }
.bar form { display: inline; }
.bar button { font-size: 11px; }
.content { padding: 12px; max-width: 1000px; }
h1 { font-size: 18px; color: #336699; }
h2 { font-size: 14px; color: #336699; margin-top: 20px; }
table.list { border-collapse: collapse; }
table.list th, table.list td { border: 1px solid #cccccc; padding: 3px 6px; text-align: left; vertical-align: top; }
table.list th { background: #eef2f7; }
table.form td { padding: 3px 6px 3px 0; vertical-align: middle; }
form.action { margin: 6px 0; }
.ok { color: #006600; font-weight: bold; }
.error { color: #cc0000; font-weight: bold; }
.small { font-size: 11px; color: #666666; }
`;

const MENU: [string, string][] = [
  ['/admin/', 'Dashboard'],
  ['/admin/accounts', 'Accounts'],
  ['/admin/alert', 'Send an alert'],
  ['/admin/outbox', 'Outbox'],
  ['/admin/audit', 'Audit log'],
];

export function consolePage(title: string, body: Html, view?: ConsoleView, notice?: Notice): string {
  const bar = view
    ? html` &nbsp;|&nbsp; ${MENU.map(([href, label]) => html`<a href="${href}">${label}</a>`)}| ${view.handle}
<form method="POST" action="/admin/signout"><input type="hidden" name="_csrf" value="${view.csrf}"> <button type="submit" id="signout">Sign out</button></form>`
    : '';
  return framed({ site: 'msnd admin', stylesheet: CONSOLE_STYLESHEET_PATH, bar }, title, body, notice);
}

export function sendConsolePage(reply: FastifyReply, status: number, title: string, body: Html, view?: ConsoleView, notice?: Notice) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(consolePage(title, body, view, notice));
}

/** The hidden CSRF field of a console form. */
export function csrfField(view: ConsoleView): Html {
  return html`<input type="hidden" name="_csrf" value="${view.csrf}">`;
}

/** A friendly name as the wire carries it (%-encoded), for reading. */
export function readableName(encoded: string): string {
  return percentDecode(encoded).toString('utf8');
}

export function when(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

export function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}
