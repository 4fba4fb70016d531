// PAG: a page to a contact's mobile device (MSNP5.md 9.20), or to its client as IPG (9.28).
import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { percentDecode } from '../protocol/names.ts';
import { parsePagePayload } from '../protocol/page.ts';
import type { Bus } from './bus.ts';
import type { Outbox } from './outbox.ts';
import type { Store } from './store.ts';
import { allows, type Account } from './types.ts';

export interface Pager {
  accountId: number;
  handle: string;
  /** Decoded friendly name. */
  name: string;
}

/** How an accepted page travels: shown by the target's NS session (IPG) or queued for the phone. */
export type PageOutcome = Outcome<{ via: 'ipg' } | { via: 'outbox'; id: number }>;

/**
 * Sends a page, checking in this order (MSNP5.md 9.20, decisions): no such account → 205; no mobile
 * number, MOB N, or a target that does not allow the sender (8.3) → 220; a payload not of the
 * reference's shape → 201. A page that passes is offered to the target's NS session wherever it
 * is signed in, which shows it as IPG when it can (9.28); otherwise it goes to the phone through
 * the outbox. The checks are the same either way: MOB N means "no pages", on any device.
 */
export async function sendPage(
  store: Store,
  outbox: Outbox,
  bus: Pick<Bus, 'routes'>,
  pager: Pager,
  targetHandle: string,
  payload: Buffer,
): Promise<PageOutcome> {
  const target = await store.findAccount(targetHandle);
  if (!target) return { error: ErrorCode.INVALID_USER };
  const number = mobileNumber(target);
  if (number === '' || !(await allowsPager(store, target, pager))) return { error: ErrorCode.NOT_ACCEPTING_PAGES };
  const page = parsePagePayload(payload);
  if (!page) return { error: ErrorCode.INVALID_PARAMETER };
  const incoming = { from: pager.handle, fromAccountId: pager.accountId, text: page.text, callback: page.callback };
  if (await bus.routes.page(target.handle, incoming)) return { ok: true, via: 'ipg' };
  const id = await outbox.queue({
    kind: 'page',
    recipient: number,
    sender: pager.handle,
    subject: `Page from ${pager.name || pager.handle}`,
    body: page.text,
    callback: page.callback,
  });
  return { ok: true, via: 'outbox', id };
}

/** The digits of PHM when the account accepts pages (MOB Y), else ''. */
export function mobileNumber(account: Account): string {
  if (account.phones.MOB !== 'Y') return '';
  return percentDecode(account.phones.PHM)
    .toString('utf8')
    .replace(/[^0-9]/g, '');
}

async function allowsPager(store: Store, target: Account, pager: Pager): Promise<boolean> {
  const facts = await store.transaction((tx) => tx.privacyTowards(pager.accountId, [target.id]));
  const own = facts.get(target.id);
  return own !== undefined && allows(own);
}
