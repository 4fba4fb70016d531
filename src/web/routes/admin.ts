// The admin API: NOT alerts (MSNP5.md 9.21) and metrics, behind a bearer token. Without a token
// configured the API does not exist (404).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AlertError, sendAlert, type AlertRequest } from '../../core/alerts.ts';
import type { WebDeps } from '../deps.ts';
import { sameText } from '../keys.ts';

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
  app.get('/admin/metrics', async (request, reply) => {
    if (!(await admitted(deps, request, reply))) return reply;
    const [sessionsOnline, accounts] = await Promise.all([deps.bus.onlineCount(), deps.store.listAccounts()]);
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
