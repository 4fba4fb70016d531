// Sending an alert (NOT, MSNP5.md 9.21; core/alerts.ts as `msnd alert send`), the outbox's failed
// deliveries (retry or drop) and the audit log. Every change is audited as `web:<admin handle>`.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AdminError } from '../../core/admin.ts';
import { AlertError } from '../../core/alerts.ts';
import type { WebDeps } from '../deps.ts';
import { formFields, type Fields, type Notice } from '../forms.ts';
import { html, input } from '../html.ts';
import { requireAdmin, type SignedInAdmin } from './guard.ts';
import { csrfField, sendConsolePage, when } from './layout.ts';

/** Audit entries shown on one page. */
const AUDIT_SHOWN = 500;

export function messageRoutes(scope: FastifyInstance, deps: WebDeps): void {
  scope.get('/alert', async (request, reply) => {
    const signedIn = await requireAdmin(deps, request, reply);
    if (!signedIn) return reply;
    return alertForm(reply, signedIn, {});
  });
  scope.post('/alert', { preHandler: scope.csrfProtection }, async (request, reply) => {
    const signedIn = await requireAdmin(deps, request, reply);
    if (!signedIn) return reply;
    const fields = formFields(request);
    const to = (fields.to ?? '').split(/[\s,;]+/).filter((h) => h !== '');
    const everyone = fields.everyone === 'Y';
    if (everyone === to.length > 0) {
      return alertForm(reply, signedIn, fields, { kind: 'error', text: 'Give the recipients or tick "every account" (not both).' }, 400);
    }
    try {
      const text = fields.text ?? '';
      const url = (fields.url ?? '').trim();
      const sent = await signedIn.actions.sendAlert({ to: everyone ? 'all' : to, text, ...(url !== '' && { url }) });
      await deps.alertStored();
      deps.log.info({ web: 'admin', actor: signedIn.account.handle, alert: sent.id, recipients: sent.recipients }, 'alert stored');
      const notice: Notice = { kind: 'ok', text: `Alert ${sent.id} is queued for ${sent.recipients} account(s).` };
      return alertForm(reply, signedIn, {}, notice);
    } catch (error) {
      if (!(error instanceof AlertError)) throw error;
      return alertForm(reply, signedIn, fields, { kind: 'error', text: `Not sent: ${error.message}.` }, 400);
    }
  });
  scope.get('/outbox', async (request, reply) => {
    const signedIn = await requireAdmin(deps, request, reply);
    if (!signedIn) return reply;
    return outboxPage(reply, signedIn);
  });
  scope.post('/outbox', { preHandler: scope.csrfProtection }, async (request, reply) => {
    const signedIn = await requireAdmin(deps, request, reply);
    if (!signedIn) return reply;
    const fields = formFields(request);
    const id = /^\d{1,12}$/.test(fields.id ?? '') ? Number(fields.id) : Number.NaN;
    try {
      if (Number.isNaN(id)) throw new AdminError('no such outbox item');
      if (fields.action === 'retry') await signedIn.actions.retryOutbox(id);
      else if (fields.action === 'drop') await signedIn.actions.dropOutbox(id);
      else throw new AdminError('unknown action');
      const done = fields.action === 'retry' ? 'will be tried again now' : 'is dropped';
      return outboxPage(reply, signedIn, { kind: 'ok', text: `Item ${id} ${done}.` });
    } catch (error) {
      if (!(error instanceof AdminError)) throw error;
      return outboxPage(reply, signedIn, { kind: 'error', text: `${error.message}.` }, 400);
    }
  });
  scope.get('/audit', async (request, reply) => {
    const signedIn = await requireAdmin(deps, request, reply);
    if (!signedIn) return reply;
    const entries = (await signedIn.admin.auditLog(0, AUDIT_SHOWN)).reverse();
    const body = html`<p class="small">The newest ${AUDIT_SHOWN} entries, newest first. <code>msnd audit --since</code> prints them all.</p>
<table class="list" id="audit">
<tr><th>When</th><th>Who</th><th>What</th><th>Account</th><th>Detail</th></tr>
${entries.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.target}</td><td>${e.detail}</td></tr>`)}
</table>`;
    return sendConsolePage(reply, 200, 'Audit log', body, signedIn.view);
  });
}

function alertForm(reply: FastifyReply, signedIn: SignedInAdmin, fields: Fields, notice?: Notice, status = 200): FastifyReply {
  const body = html`<form method="POST" action="/admin/alert">${csrfField(signedIn.view)}
<table class="form">
<tr><td>To (handles, separated by spaces or commas)</td><td><textarea name="to" id="to" rows="3" cols="50">${fields.to ?? ''}</textarea></td></tr>
<tr><td>or</td><td><input type="checkbox" name="everyone" id="everyone" value="Y"${fields.everyone === 'Y' ? html` checked` : ''}> every account</td></tr>
<tr><td>Text</td><td><textarea name="text" id="text" rows="4" cols="50">${fields.text ?? ''}</textarea></td></tr>
<tr><td>Link (optional)</td><td>${input('url', fields.url ?? '', 'text', 50)}</td></tr>
</table>
<p><button type="submit" id="send">Send the alert</button></p>
</form>
<p class="small">Members signed in with MSN Messenger 3.0 or later (MSNP5+) see it within a second; the others at their next sign-in.</p>`;
  return sendConsolePage(reply, status, 'Send an alert', body, signedIn.view, notice);
}

async function outboxPage(reply: FastifyReply, signedIn: SignedInAdmin, notice?: Notice, status = 200): Promise<FastifyReply> {
  const items = await signedIn.actions.failedOutbox();
  const button = (id: number, action: string, label: string) =>
    html`<form class="action" method="POST" action="/admin/outbox">${csrfField(signedIn.view)}<input type="hidden" name="id" value="${id}"><input type="hidden" name="action" value="${action}"><button type="submit" id="${action}-${id}">${label}</button></form>`;
  const body =
    items.length === 0
      ? html`<p id="outbox">No failed deliveries.</p>`
      : html`<table class="list" id="outbox">
<tr><th>Item</th><th>Kind</th><th>To</th><th>From</th><th>Subject</th><th>Queued</th><th>Attempts</th><th>Next attempt</th><th>Last error</th><th></th></tr>
${items.map(
  (item) =>
    html`<tr><td>${item.id}</td><td>${item.kind}</td><td>${item.recipient}</td><td>${item.sender || '-'}</td><td>${item.subject}</td><td>${when(item.createdAt)}</td><td>${item.attempts}</td><td>${item.dueAt === null ? 'given up' : when(item.dueAt)}</td><td class="last-error">${item.lastError || '-'}</td><td>${button(item.id, 'retry', 'Retry now')}${button(item.id, 'drop', 'Drop')}</td></tr>`,
)}
</table>`;
  return sendConsolePage(reply, status, 'Outbox', body, signedIn.view, notice);
}
