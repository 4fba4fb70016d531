// What every console page needs: the signed-in admin (or the way to the sign-in form), its CSRF
// token, and core/admin.ts acting in its name (`web:<handle>` in the audit log).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Admin } from '../../core/admin.ts';
import { ConsoleActions } from '../../core/admin-console.ts';
import type { Account } from '../../core/types.ts';
import type { WebDeps } from '../deps.ts';
import type { ConsoleView } from './layout.ts';
import { adminOf } from './session.ts';

export interface SignedInAdmin {
  account: Account;
  view: ConsoleView;
  admin: Admin;
  actions: ConsoleActions;
}

/** The signed-in admin, or undefined after redirecting to the sign-in form. */
export async function requireAdmin(deps: WebDeps, request: FastifyRequest, reply: FastifyReply): Promise<SignedInAdmin | undefined> {
  const account = await adminOf(deps, request);
  if (!account) {
    await reply.redirect('/admin/signin', 303);
    return undefined;
  }
  const actor = `web:${account.handle}`;
  return {
    account,
    view: { handle: account.handle, csrf: reply.generateCsrf() },
    admin: new Admin(deps.store, { actor, now: deps.now, noticed: () => deps.adminNoticed() }),
    actions: new ConsoleActions(deps.store, actor, deps.now),
  };
}
