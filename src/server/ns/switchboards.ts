// The NS side of switchboards (MSNP5.md 9.2, 9.22, 9.25): XFR SB, IMS, and RNG to an invitee.
import type { Invitation } from '../../core/bus.ts';
import { failure } from '../../core/failure.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { type Answer, type Close, close } from '../dispatcher.ts';
import type { NsContext } from './context.ts';

/** XFR SB (MSNP5.md 9.2): a one-use cookie for a new switchboard session. XFR NS from a client closes. */
export async function xfr(ctx: NsContext, [kind]: string[], trid: string): Promise<Answer> {
  if (kind !== 'SB') return close('XFR to anything but SB');
  const user = ctx.user;
  const status = user.currentStatus;
  // Hidden, or not yet present (no CHG so far), users cannot open switchboards (MSNP5.md 10.4).
  if (status === undefined || status === 'HDN') return failure(ErrorCode.NOT_ALLOWED_WHEN_OFFLINE);
  const { config, bus } = ctx.server;
  if (ctx.transfers.count('xfr') >= config.limits.switchboardRequests) return failure(ErrorCode.USER_TOO_ACTIVE);
  ctx.transfers.add('xfr');
  const data = { handle: user.handle, ns: ctx.sessionId };
  ctx.issuedSwitchboardCookie = true;
  const cookie = await bus.tokens.issue('xfr', data, config.limits.transferCookieMs);
  ctx.reply('XFR', trid, 'SB', ctx.server.switchboardAddress(), 'CKI', cookie);
}

/** IMS (MSNP5.md 9.22): switchboard invitations on or off for this session. */
export function ims(ctx: NsContext, [value]: string[], trid: string): Close | void {
  if (value !== 'ON' && value !== 'OFF') return close('IMS takes ON or OFF');
  ctx.imsOn = value === 'ON';
  ctx.reply('IMS', trid, 0, value);
}

/**
 * An invitation offered by the bus: refused unless the session is present, not hidden, has IMS ON
 * and allows the caller (MSNP5.md 9.25, 11.3); accepted, it issues the cookie and writes RNG.
 */
export async function ring(ctx: NsContext, invitation: Invitation): Promise<boolean> {
  const user = ctx.userIfSignedIn;
  if (!ctx.isAuthenticated || !user || !ctx.imsOn) return false;
  const status = user.currentStatus;
  if (status === undefined || status === 'HDN') return false;
  if (!(await user.allowsViewer(invitation.caller))) return false;
  ctx.issuedSwitchboardCookie = true;
  const cookie = await ctx.server.bus.tokens.issue(
    'rng',
    { handle: user.handle, sb: invitation.sessionId, ns: ctx.sessionId },
    ctx.server.config.limits.ringCookieMs,
  );
  if (ctx.conn.isClosing) return false;
  const { sessionId, address, caller, callerName } = invitation;
  ctx.reply('RNG', sessionId, address, 'CKI', cookie, caller, callerName);
  return true;
}
