// The admin API: NOT alerts (MSNP5.md 9.21), new-mail notices (12.2) and metrics, behind a bearer
// token. Without a token configured the API does not exist (404).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AlertError, sendAlert, type AlertRequest } from '../../core/alerts.ts';
import { announceNewMail, reportMailbox } from '../../core/mail-notices.ts';
import { isValidHandle } from '../../protocol/names.ts';
import type { WebDeps } from '../deps.ts';
import { sameText } from '../keys.ts';
import { clientAddress } from '../client-address.ts';

export function adminRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.post('/admin/alerts', async (request, reply) => {
    if (!(await admitted(deps, request, reply))) return reply;
    const alert = alertFrom(request.body);
    if ('problem' in alert) return reply.code(400).send({ error: alert.problem });
    try {
      const { id, recipients } = await sendAlert(deps.store, alert);
      await deps.alertStored();
      deps.log.info({ web: 'admin', alert: id, recipients }, 'alert stored');
      return reply.code(200).send({ id, recipients });
    } catch (error) {
      if (error instanceof AlertError) return reply.code(400).send({ error: error.message });
      throw error;
    }
  });
  app.post('/admin/mail-notices', async (request, reply) => {
    if (!(await admitted(deps, request, reply))) return reply;
    // EmailEnabled is 1 only with a webmail (MSNP5.md 12.1): without one, clients expect no mail notices.
    if (!deps.settings.webmail)
      return reply.code(409).send({ error: 'no webmail is configured (webmailUrl), so e-mail notifications are off' });
    const parsed = mailNoticeSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: problems(parsed.error) });
    const outcome = await announceNewMail(deps.store, deps.bus, parsed.data);
    if ('error' in outcome) return reply.code(404).send({ error: `no account ${parsed.data.handle}` });
    deps.log.info({ web: 'admin', handle: parsed.data.handle, delivered: outcome.delivered }, 'mail notice');
    return reply.code(200).send(outcome);
  });
  app.put<{ Params: { handle: string } }>('/admin/mailboxes/:handle', async (request, reply) => {
    if (!(await admitted(deps, request, reply))) return reply;
    if (!deps.settings.webmail)
      return reply.code(409).send({ error: 'no webmail is configured (webmailUrl), so e-mail notifications are off' });
    const parsed = mailboxSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: problems(parsed.error) });
    const outcome = await reportMailbox(deps.store, request.params.handle, parsed.data);
    if ('error' in outcome) return reply.code(404).send({ error: `no account ${request.params.handle}` });
    return reply.code(200).send(parsed.data);
  });
  app.get('/metrics', async (request, reply) => {
    if (!deps.metrics) return reply.callNotFound();
    if (!(await admitted(deps, request, reply))) return reply;
    return reply.type(deps.metrics.contentType).send(await deps.metrics.scrape());
  });
  app.get('/admin/metrics', async (request, reply) => {
    if (!(await admitted(deps, request, reply))) return reply;
    const [sessionsOnline, accounts] = await Promise.all([deps.bus.routes.onlineCount(), deps.store.listAccounts()]);
    return reply.send({ sessionsOnline, accounts: accounts.length });
  });
}

/** True when the admin API is on and the request carries its bearer token; else the reply is sent. */
async function admitted(deps: WebDeps, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const token = deps.settings.adminToken;
  if (!token) {
    await reply.callNotFound();
    return false;
  }
  const given = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
  if (sameText(given, token)) return true;
  deps.log.warn({ web: 'admin', remote: clientAddress(request), path: request.routeOptions.url }, 'admin token refused');
  await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'admin token required' });
  return false;
}

/**
 * `{ "to": handle or [handles] | "all": true, "text": …, "url"?: … }` as JSON (or a form with one
 * `to`); core's sendAlert checks the values (MSNP5.md 12.7).
 */
function alertFrom(body: unknown): AlertRequest | { problem: string } {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const all = b.all === true || b.all === 'true';
  const to = typeof b.to === 'string' ? [b.to] : b.to;
  const handles = Array.isArray(to) && to.every((h) => typeof h === 'string') ? (to as string[]) : undefined;
  if (all === (handles !== undefined)) return { problem: 'give either "to" (a handle or a list of handles) or "all": true' };
  if (typeof b.text !== 'string') return { problem: '"text" is required' };
  if (b.url !== undefined && typeof b.url !== 'string') return { problem: '"url" must be a string' };
  return { to: all ? 'all' : handles!, text: b.text, ...(typeof b.url === 'string' && { url: b.url }) };
}

/** Header values of the notification: no control characters, so no CR/LF can forge a header (MSNP5.md 12). */
const headerText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\x00-\x1f\x7f-\x9f]*$/, 'must not contain control characters');

/**
 * `{ "handle", "from", "fromAddr", "subject", "folder"? }` as JSON: the account whose mailbox got a
 * mail, the sender's name and address, the subject and the folder (`ACTIVE`, the inbox, by default).
 */
const mailNoticeSchema = z.strictObject({
  handle: z.string().refine(isValidHandle, 'must be the handle of an account'),
  from: headerText(128).trim().min(1),
  fromAddr: z.email().max(254),
  subject: headerText(256),
  folder: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores')
    .default('ACTIVE'),
});

const unreadCount = z.number().int().min(0).max(1_000_000);

/** `{ "inboxUnread", "foldersUnread" }`: unread mail in the inbox and in the other folders (MSNP5.md 12.2). */
const mailboxSchema = z.strictObject({ inboxUnread: unreadCount, foldersUnread: unreadCount });

function problems(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
}
