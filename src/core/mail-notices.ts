// New-mail notifications (MSNP5.md 12.2). msnd hosts no mailboxes: the operator's mail system tells
// msnd of a new mail (web admin API), and msnd tells the account's NS session wherever it is.
import { normalizeHandle } from '../protocol/names.ts';
import type { Bus } from './bus.ts';
import type { MailboxCounts, Store } from './store.ts';

export interface NewMailNotice {
  /** The account whose mailbox got the mail. */
  handle: string;
  /** The sender's display name and address. */
  from: string;
  fromAddr: string;
  subject: string;
  /** The folder it arrived in (`ACTIVE` is the inbox). */
  folder: string;
}

export type NoticeOutcome = { delivered: 0 | 1 } | { error: 'no-account' };

/**
 * Hands the notice to the account's NS session (an account has at most one, MSNP5.md 2): delivered
 * is 1 when it had one at that moment, else 0. A decision: nothing is kept for a later sign-in,
 * because the mail is then no longer new; the webmail shows it. Like every bus event the notice is
 * delivered at most once (DESIGN.md "Cluster mode"). Throws RangeError for a value with CR or LF,
 * which would forge a header in the MIME payload (the admin API refuses those with 400 first).
 */
export async function announceNewMail(store: Store, bus: Bus, notice: NewMailNotice): Promise<NoticeOutcome> {
  const { from, fromAddr, subject, folder } = notice;
  if ([from, fromAddr, subject, folder].some((value) => /[\r\n]/.test(value))) throw new RangeError('line break in a mail notice');
  const account = await store.findAccount(normalizeHandle(notice.handle));
  if (!account) return { error: 'no-account' };
  if (!(await bus.routes.isSignedIn(account.handle))) return { delivered: 0 };
  bus.routes.publish(account.handle, { kind: 'new-mail', from, fromAddr, subject, folder });
  return { delivered: 1 };
}

/**
 * Stores the account's unread counts as the operator's mail system reports them; the next sign-in
 * shows them in the initial e-mail notification (MSNP5.md 12.2). A signed-in session is not told:
 * the service sent the counts once per session, and new mail comes as its own notice.
 */
export async function reportMailbox(store: Store, handle: string, counts: MailboxCounts): Promise<{ ok: true } | { error: 'no-account' }> {
  const account = await store.findAccount(normalizeHandle(handle));
  if (!account) return { error: 'no-account' };
  await store.setMailbox(account.id, counts);
  return { ok: true };
}
