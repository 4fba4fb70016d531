// What the admin console (web/admin) does beyond core/admin.ts: the console's own sign-in, alerts
// and the outbox as audited actions, and the sign-in counts of its dashboard.
import { timingSafeEqual } from 'node:crypto';
import { type AlertRequest, sendAlert } from './alerts.ts';
import { AdminError } from './admin.ts';
import type { Tallies } from './bus.ts';
import type { OutboxRecord, Store } from './store.ts';
import type { Account } from './types.ts';

/** The dashboard counts Messenger sign-ins and refused logins over this window. */
export const SIGN_IN_WINDOW_MS = 60 * 60_000;
const SIGN_INS_KEY = 'dashboard:sign-ins';
const REFUSED_KEY = 'dashboard:refused-logins';

/**
 * Counts one NS login for the dashboard (on the bus, so a cluster's nodes count together), in
 * minutes: a busy hour's sign-ins take 60 counts, not one entry each.
 */
export function countLogin(tallies: Tallies, ok: boolean): Promise<void> {
  return tallies.add(ok ? SIGN_INS_KEY : REFUSED_KEY, SIGN_IN_WINDOW_MS);
}

/** The logins of the last 59 to 60 minutes (the current minute and the 59 before it, Tallies). */
export async function loginCounts(tallies: Tallies): Promise<{ signIns: number; refused: number }> {
  const [signIns = 0, refused = 0] = await tallies.count([SIGN_INS_KEY, REFUSED_KEY], SIGN_IN_WINDOW_MS);
  return { signIns, refused };
}

/**
 * The account that may use the admin console with this messenger password: it exists, is not
 * disabled, has the admin role and the password matches. Undefined otherwise, whichever the reason,
 * so that the answer tells nothing about which accounts exist.
 */
export async function consoleAccount(store: Store, handle: string, password: string): Promise<Account | undefined> {
  const credentials = await store.credentialsOf(handle);
  if (!credentials || !samePassword(credentials.secret, password)) return undefined;
  const { account } = credentials;
  return account.admin && !account.disabled ? account : undefined;
}

function samePassword(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The unsent outbox items the console lists. */
export const FAILED_OUTBOX_SHOWN = 200;

/** Alerts and outbox actions of the console, each written to the audit log with its actor. */
export class ConsoleActions {
  constructor(
    private readonly store: Store,
    private readonly actor: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The actor signed in to the console from this address. */
  async signedIn(address: string): Promise<void> {
    await this.audit('console-sign-in', this.actor.replace(/^web:/, ''), `from ${address}`);
  }

  /** Stores the alert (core/alerts.ts; AlertError for bad input) and audits it. */
  async sendAlert(request: AlertRequest): Promise<{ id: number; recipients: number }> {
    const sent = await sendAlert(this.store, request);
    const target = request.to === 'all' ? 'all' : request.to.join(' ');
    await this.audit('alert', target, `alert ${sent.id} to ${sent.recipients} account(s): ${request.text}`);
    return sent;
  }

  failedOutbox(): Promise<OutboxRecord[]> {
    return this.store.failedOutbox(FAILED_OUTBOX_SHOWN);
  }

  /** Makes a failed or given-up item due now, with a fresh count of attempts. */
  async retryOutbox(id: number): Promise<void> {
    const item = await this.unsent(id);
    if (!(await this.store.retryOutbox(id, this.now()))) throw new AdminError(`outbox item ${id} is no longer waiting`);
    await this.audit('outbox-retry', item.recipient, `${item.kind} ${id}: ${item.subject}`);
  }

  async dropOutbox(id: number): Promise<void> {
    const item = await this.unsent(id);
    if (!(await this.store.dropOutbox(id))) throw new AdminError(`outbox item ${id} is no longer waiting`);
    await this.audit('outbox-drop', item.recipient, `${item.kind} ${id}: ${item.subject}`);
  }

  private async unsent(id: number): Promise<OutboxRecord> {
    const item = await this.store.outboxItem(id);
    if (!item || item.sentAt !== null) throw new AdminError(`no undelivered outbox item ${id}`);
    return item;
  }

  private async audit(action: string, target: string, detail: string): Promise<void> {
    await this.store.transaction((tx) => tx.appendAudit({ at: this.now(), actor: this.actor, action, target, detail }));
  }
}
