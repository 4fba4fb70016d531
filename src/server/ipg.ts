// IPG: the target's side of a page offered through the bus (MSNP5.md 9.20, 9.28).
import type { IncomingPage } from '../core/bus.ts';
import { SERVICE_PAGES } from '../core/web-pages.ts';
import { incomingPageDocument } from '../protocol/incoming-page.ts';
import type { NotificationSession } from './notification.ts';

/** IPG exists from MSNP6 (MSNP5.md 4.3). */
const IPG_SINCE = 6;

/**
 * Writes the page as IPG and returns true when this session can show it: signed in at MSNP6 or
 * later, present and not hidden. Decisions: a hidden user has chosen to look offline (10.4) and a
 * session before its first CHG is not present yet, so, as for RNG (9.25), such a session refuses
 * and the page goes to the phone; so does a page whose BODY would not fit in 1024 bytes (12.7).
 */
export function offerPage(s: NotificationSession, page: IncomingPage): boolean {
  if (!s.isAuthenticated || s.dialectLevel < IPG_SINCE || s.conn.isClosing) return false;
  const user = s.session;
  if (user.currentStatus === undefined || user.currentStatus === 'HDN') return false;
  const document = incomingPageDocument({
    to: { handle: user.handle, accountId: user.accountId },
    from: { handle: page.from, accountId: page.fromAccountId },
    siteUrl: `${s.ctx.webBaseUrl()}/`,
    // A click opens the recipient's mobile settings, where pages are turned on and off (a decision).
    actionUrl: SERVICE_PAGES.CHGMOB.slice(1),
    text: page.text,
    callback: page.callback,
  });
  if (document === undefined) return false;
  s.conn.sendPayload('IPG', [], Buffer.from(document, 'utf8'));
  return true;
}
