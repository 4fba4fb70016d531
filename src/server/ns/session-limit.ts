// The session limit of one NS (MSNP5.md 13: 922, and 920 for clients that do not know it).
import { type Failure, failure } from '../../core/failure.ts';
import type { NsContext } from './context.ts';

/**
 * At USR S: undefined admits the login; at the limit the dialect's busy code (the dialect table's
 * `busyCode`: 922 for MSNP5+ clients, 920 "not accepting new users" for older ones, a decision).
 */
export function busyRefusal(ctx: NsContext): Failure | undefined {
  const max = ctx.server.config.maxSessions;
  if (max !== undefined && ctx.server.admittedSessions(ctx) >= max) return failure(ctx.features.busyCode);
  ctx.admitted = true;
  return undefined;
}
