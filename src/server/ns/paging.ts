// PAG and IPG: pages to a contact's mobile device, or to its client (MSNP5.md 9.20, 9.28).
import type { IncomingPage } from '../../core/bus.ts';
import { failure, isFailure } from '../../core/failure.ts';
import { sendPage } from '../../core/paging.ts';
import { rateLimit } from '../../core/rate.ts';
import { SERVICE_PAGES } from '../../core/web-pages.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { incomingPageDocument } from '../../protocol/incoming-page.ts';
import { isValidHandle, normalizeHandle, percentDecode } from '../../protocol/names.ts';
import { type Answer, close, type Params } from '../dispatcher.ts';
import type { NsContext } from './context.ts';

/** PAG payloads are at most this many bytes (MSNP5.md 14, a decision). */
export const PAG_MAX_BYTES = 1024;

/** `PAG t <handle> <len>` + payload. No reply on success; 201/205/220 on failure; IPG or outbox (core). */
export async function pag(ctx: NsContext, [rawHandle]: Params<1>, _trid: string, payload: Buffer | undefined): Promise<Answer> {
  if (payload === undefined) return close('PAG without payload');
  if (!isValidHandle(rawHandle)) return failure(ErrorCode.INVALID_PARAMETER);
  const user = ctx.user;
  const pager = { accountId: user.accountId, handle: user.handle, name: percentDecode(user.friendlyName).toString('utf8') };
  const { store, outbox, bus, config } = ctx.server;
  const sent = sendingRate(ctx, 'pages', config.limits.pages, config.limits.pageWindowMs);
  if (await sent.usedUp()) return failure(ErrorCode.RATE_LIMITED);
  const outcome = await sendPage(store, outbox, bus, pager, normalizeHandle(rawHandle), payload);
  if (isFailure(outcome)) return outcome;
  // The page is on its way: no error answer now, even if the bus cannot count it (as for SDC).
  await sent.use().catch(() => {});
}

/**
 * Each account may send only so many e-mails and pages per window, so that a signed-in account
 * cannot turn msnd into a mail or SMS cannon; beyond, 800 "changing too rapidly" (MSNP5.md 13,
 * the code [YW PAG] shows for a page that was not sent; a decision for SDC/SND). Only accepted
 * ones count. On the bus, so that every node of a cluster counts the same sends.
 */
export function sendingRate(ctx: NsContext, what: string, limit: number, windowMs: number) {
  return rateLimit(ctx.server.bus.rates, `${what}:${ctx.user.handle}`, limit, windowMs);
}

/**
 * Writes the page as IPG and returns true when this session can show it: signed in in a dialect
 * with IPG (the dialect table's `challenges`: MSNP6+), present and not hidden. Decisions: a hidden
 * user has chosen to look offline (10.4) and a session before its first CHG is not present yet,
 * so, as for RNG (9.25), such a session refuses and the page goes to the phone; so does a page
 * whose BODY would not fit in 1024 bytes (12.7).
 */
export function offerPage(ctx: NsContext, page: IncomingPage): boolean {
  const user = ctx.userIfSignedIn;
  if (!ctx.isAuthenticated || !user || !ctx.features.challenges || ctx.conn.isClosing) return false;
  if (user.currentStatus === undefined || user.currentStatus === 'HDN') return false;
  const document = incomingPageDocument({
    to: { handle: user.handle, accountId: user.accountId },
    from: { handle: page.from, accountId: page.fromAccountId },
    siteUrl: `${ctx.server.webBaseUrl()}/`,
    // A click opens the recipient's mobile settings, where pages are turned on and off (a decision).
    actionUrl: SERVICE_PAGES.CHGMOB.slice(1),
    text: page.text,
    callback: page.callback,
  });
  if (document === undefined) return false;
  ctx.conn.sendPayload('IPG', [], Buffer.from(document, 'utf8'));
  return true;
}
