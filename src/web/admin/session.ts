// The admin console's sign-in: a signed cookie of its own (HttpOnly, SameSite=Strict, path /admin)
// naming the admin account and when it signed in. It is valid while the account exists, keeps the
// admin role, is not disabled and its sessions were not ended since (core/admin.ts revokeAdmin, kick).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../../core/types.ts';
import type { WebDeps } from '../deps.ts';

export const ADMIN_COOKIE = 'msnd_admin';
export const ADMIN_PATH = '/admin';

export function signInAdmin(deps: WebDeps, reply: FastifyReply, account: Account): void {
  reply.setCookie(ADMIN_COOKIE, `${account.id}.${deps.now()}`, {
    signed: true,
    httpOnly: true,
    sameSite: 'strict',
    path: ADMIN_PATH,
    secure: deps.settings.baseUrl.startsWith('https:'),
    maxAge: Math.floor(deps.settings.sessionMs / 1000),
  });
}

export function signOutAdmin(reply: FastifyReply): void {
  reply.clearCookie(ADMIN_COOKIE, { path: ADMIN_PATH });
}

/** The signed-in admin of this request, if any. */
export async function adminOf(deps: WebDeps, request: FastifyRequest): Promise<Account | undefined> {
  const raw = request.cookies[ADMIN_COOKIE];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  const match = unsigned.valid && unsigned.value ? /^(\d{1,12})\.(\d{13})$/.exec(unsigned.value) : null;
  if (!match) return undefined;
  const signedInAt = Number(match[2]);
  if (deps.now() - signedInAt > deps.settings.sessionMs) return undefined;
  const account = await deps.store.read((tx) => tx.accountById(Number(match[1])));
  if (!account || !account.admin || account.disabled || signedInAt < account.sessionsEndedAt) return undefined;
  return account;
}
