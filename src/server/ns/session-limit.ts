// The session limit of one NS (MSNP5.md 13: 922, and 920 for clients that do not know it).
import { type Failure, failure } from '../../core/failure.ts';
import type { NsContext } from './context.ts';

/**
 * At USR S, before the password is checked: 'free' admits the login, a Failure refuses it. At the
 * limit, a login of an account signed in on this node takes no new place, because its old session
 * gets OUT OTH (MSNP5.md 6.3, 10.6 D-14): 'replacing' admits it only if its password proves it the
 * account's own; if not, it gets busyCode like anyone, so the answer never tells who is signed in.
 */
export function sessionPlace(ctx: NsContext, handle: string): 'free' | 'replacing' | Failure {
  const max = ctx.server.config.maxSessions;
  const full = max !== undefined && ctx.server.admittedSessions(ctx) >= max;
  if (full && !ctx.server.signedInHere(ctx, handle)) return busyCode(ctx);
  // Admitted now, so that logins racing this one's password check count it.
  ctx.admitted = true;
  return full ? 'replacing' : 'free';
}

/**
 * A login refused at the limit: the dialect table's busy code, 922 for MSNP5+ clients; 920 ("not
 * accepting new users", known to clients since MSNP2) for older ones, which do not know 922 (MSNP5.md 13, a decision).
 */
export function busyCode(ctx: NsContext): Failure {
  return failure(ctx.features.busyCode);
}
