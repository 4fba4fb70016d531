// The operator's actions on accounts (issue 13): one module for `msnd user …` and the admin console.
// Each action is committed together with its audit entry; what a signed-in session must do about it
// (end, take a new name, drop a deleted contact) is queued in the store as a notice that the node
// holding the session carries out within about a second (server/ns/admin-notices.ts). The store is
// the one place a CLI process and every node of a cluster share, as for alerts.
import { acceptEncoded, canonicalEncode, isValidHandle, NAME_MAX_BYTES, normalizeHandle } from '../protocol/names.ts';
import type { AccountDetails, EndReason, NodeReport, SignIn, StoredAuditEntry, StoredNodeReport } from './admin-store.ts';
import { type Store, AccountExistsError, type StoreBacklog, type StoreTx } from './store.ts';
import type { Account } from './types.ts';

/** A node whose last report is older than this is taken as stopped (it reports every NODE_REPORT_MS). */
export const NODE_REPORT_MS = 5_000;
export const NODE_STALE_MS = 15_000;
/** Notices older than this are deleted: every live node has read them long before. */
export const NOTICE_LIFETIME_MS = 10 * 60_000;

/** A refused admin action: the message says why, in words an operator reads. */
export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface AdminOptions {
  /** Who acts: `cli:<os user>` or `web:<admin handle>`. */
  actor: string;
  /** Unix ms. */
  now?: () => number;
  /** How long an action that ends a session waits for it to end (the node acts within about a second). */
  endWaitMs?: number;
  /** Called after a notice was queued: a server running the action itself carries it out at once. */
  noticed?: () => Promise<void>;
}

/** A session of the account that is live now (its node still reports), with where it is. */
export interface LiveSignIn extends SignIn {
  /** The node's report, when the node is live. */
  nodeReport: NodeReport;
}

export interface AccountView extends AccountDetails {
  signedInNow?: LiveSignIn;
}

/** What ending an account's sessions found: the session that was live, and whether it ended in time. */
export interface EndOutcome {
  session?: LiveSignIn;
  ended: boolean;
}

export interface ServiceStatus {
  nodes: (StoredNodeReport & { signedIn: number })[];
  sessions: number;
  switchboards: number;
  backlog: StoreBacklog | undefined;
}

/** The operator's actions; every one that changes something writes an audit entry. */
export class Admin {
  private readonly now: () => number;
  private readonly endWaitMs: number;

  constructor(
    private readonly store: Store,
    private readonly options: AdminOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.endWaitMs = options.endWaitMs ?? 10_000;
  }

  get actor(): string {
    return this.options.actor;
  }

  /** `msnd user add` (with `--admin`): the account and its audit entry. */
  async addAccount(input: { handle: string; password: string; name?: string; verified: boolean; admin: boolean }): Promise<Account> {
    const handle = checkedHandle(input.handle);
    if (input.password === '') throw new AdminError('the password must not be empty');
    const friendlyName = encodedName(input.name ?? handle);
    try {
      return await this.store.createAccount(
        { handle, friendlyName, secret: input.password, verified: input.verified, admin: input.admin },
        this.entry('add', handle, input.admin ? 'admin' : ''),
      );
    } catch (error) {
      if (error instanceof AccountExistsError) throw new AdminError(`${handle} already exists`);
      throw error;
    }
  }

  /** `msnd user passwd`. */
  async setPassword(handle: string, password: string): Promise<void> {
    const target = checkedHandle(handle);
    if (password === '') throw new AdminError('the password must not be empty');
    if (!(await this.store.setSecret(target, password, this.entry('passwd', target, '')))) throw noAccount(target);
  }

  /** `msnd user show`: the account, and where it is signed in when its node is live. */
  async showAccount(handle: string): Promise<AccountView> {
    const target = checkedHandle(handle);
    const details = await this.store.admin.details(target);
    if (!details) throw noAccount(target);
    const signedInNow = details.signIn && (await this.liveSignIn(details.signIn));
    return { ...details, ...(signedInNow && { signedInNow }) };
  }

  /** Marks the e-mail address verified (no more 924 at sign-in, MSNP5.md 6.4). */
  async verify(handle: string): Promise<void> {
    await this.change(handle, 'verify', '', async (tx, account) => {
      await tx.updateAccount(account.id, { verified: true });
    });
  }

  /**
   * The account can no longer sign in (refused like a wrong password, MSNP5.md 6.4) and every
   * live session ends: its NS session with `OUT`, its browser sign-ins at their next request.
   */
  async disable(handle: string, reason = ''): Promise<EndOutcome> {
    const live = await this.liveSessionOf(handle);
    const account = await this.change(handle, 'disable', reason, async (tx, account) => {
      await tx.updateAccount(account.id, { disabled: true, disabledReason: reason, sessionsEndedAt: this.now() });
      await tx.addNotice(account.handle, { kind: 'end', reason: 'disabled' }, this.now());
    });
    return this.endedSession(account, live);
  }

  async enable(handle: string): Promise<void> {
    await this.change(handle, 'enable', '', async (tx, account) => {
      await tx.updateAccount(account.id, { disabled: false, disabledReason: '' });
    });
  }

  /** Ends every live session of the account (NS `OUT`, browser sign-ins); it may sign in again. */
  async kick(handle: string): Promise<EndOutcome> {
    const live = await this.liveSessionOf(handle);
    const account = await this.change(handle, 'kick', '', async (tx, account) => {
      await tx.updateAccount(account.id, { sessionsEndedAt: this.now() });
      await tx.addNotice(account.handle, { kind: 'end', reason: 'kicked' }, this.now());
    });
    return this.endedSession(account, live);
  }

  /** Sets the friendly name; a signed-in session takes it at once and its watchers see it (MSNP5.md 9.10). */
  async rename(handle: string, name: string): Promise<void> {
    const friendlyName = encodedName(name);
    await this.change(handle, 'rename', name, async (tx, account) => {
      await tx.updateAccount(account.id, { friendlyName });
      const version = await tx.bumpVersion(account.id);
      await tx.addNotice(account.handle, { kind: 'renamed', name: friendlyName, version }, this.now());
    });
  }

  async grantAdmin(handle: string): Promise<void> {
    await this.change(handle, 'grant-admin', '', async (tx, account) => {
      await tx.updateAccount(account.id, { admin: true });
    });
  }

  /** Also ends the account's browser sign-ins, so that an admin console session ends with the role. */
  async revokeAdmin(handle: string): Promise<void> {
    await this.change(handle, 'revoke-admin', '', async (tx, account) => {
      await tx.updateAccount(account.id, { admin: false, sessionsEndedAt: this.now() });
    });
  }

  /**
   * Deletes the account (`msnd user del`, a member's /account/delete): first it is disabled and
   * its session ended, so that its watchers see it go offline (MSNP5.md 10.6); then it leaves
   * every list that names it, each owner is told `REM 0 <list> <v> <handle>` as for a change made
   * outside its session (MSNP5.md 9.9), and the handle is free again.
   */
  async deleteAccount(handle: string): Promise<EndOutcome> {
    // Audited once, below, when the account is gone.
    const live = await this.liveSessionOf(handle);
    const account = await this.change(handle, '', '', async (tx, account) => {
      await tx.updateAccount(account.id, { disabled: true, sessionsEndedAt: this.now() });
      await tx.addNotice(account.handle, { kind: 'end', reason: 'deleted' }, this.now());
    });
    const outcome = await this.endedSession(account, live);
    const deleted = await this.store.transaction(async (tx) => {
      const current = await tx.accountByHandle(account.handle);
      if (!current || current.id !== account.id) return false;
      await tx.lockAccounts([current.id]);
      const removed = await tx.removeAccount(current.id);
      for (const { owner, lists, versions } of removed) {
        for (const [i, list] of lists.entries()) {
          const version = versions[i]!;
          const event =
            list === 'RL'
              ? ({ kind: 'reverse-removed', version, contact: account.handle } as const)
              : ({ kind: 'list-removed', list, version, contact: account.handle } as const);
          await tx.addNotice(owner, { kind: 'event', event }, this.now());
        }
      }
      await tx.appendAudit(this.entry('delete', account.handle, `removed from the lists of ${removed.length} account(s)`));
      return true;
    });
    if (!deleted) throw noAccount(account.handle);
    await this.options.noticed?.();
    return outcome;
  }

  /** The running nodes (those that reported within NODE_STALE_MS), their sessions, and the store's backlog. */
  async status(): Promise<ServiceStatus> {
    const [reports, signIns, backlog] = await Promise.all([
      this.store.admin.nodes(),
      this.store.admin.signInsPerNode(),
      this.store.backlog?.(),
    ]);
    const nodes = reports.filter((node) => this.isLive(node)).map((node) => ({ ...node, signedIn: signIns.get(node.report.id) ?? 0 }));
    return {
      nodes,
      sessions: nodes.reduce((sum, node) => sum + node.signedIn, 0),
      switchboards: nodes.reduce((sum, node) => sum + node.report.switchboards, 0),
      backlog,
    };
  }

  /** The audit log from `since` (Unix ms), oldest first, at most the newest `limit` entries. */
  auditLog(since = 0, limit = 1000): Promise<StoredAuditEntry[]> {
    return this.store.admin.auditLog(since, limit);
  }

  private isLive(node: StoredNodeReport): boolean {
    return this.now() - node.seenAt <= NODE_STALE_MS;
  }

  private async liveSignIn(signIn: SignIn): Promise<LiveSignIn | undefined> {
    const node = (await this.store.admin.nodes()).find((n) => n.report.id === signIn.node);
    return node && this.isLive(node) ? { ...signIn, nodeReport: node.report } : undefined;
  }

  /** Applies one change to an existing account with its audit entry, in one transaction. */
  private async change(
    handle: string,
    action: string,
    detail: string,
    apply: (tx: StoreTx, account: Account) => Promise<void>,
  ): Promise<Account> {
    const target = checkedHandle(handle);
    const account = await this.store.transaction(async (tx) => {
      const found = await tx.accountByHandle(target);
      if (!found) return undefined;
      await tx.lockAccounts([found.id]);
      await apply(tx, found);
      if (action !== '') await tx.appendAudit(this.entry(action, target, detail));
      return found;
    });
    if (!account) throw noAccount(target);
    await this.options.noticed?.();
    return account;
  }

  /**
   * The account's live session before an action ends it: read first, because a server running the
   * action itself (`noticed`, the admin console) may end the session before the action returns.
   */
  private async liveSessionOf(handle: string): Promise<LiveSignIn | undefined> {
    const account = isValidHandle(handle) ? await this.store.findAccount(normalizeHandle(handle)) : undefined;
    const recorded = account && (await this.store.admin.signInOf(account.id));
    return recorded && this.liveSignIn(recorded);
  }

  /** Waits until the account's session that was live (if any) has ended, up to endWaitMs. */
  private async endedSession(account: Account, session: LiveSignIn | undefined): Promise<EndOutcome> {
    if (!session) return { ended: true };
    const deadline = this.now() + this.endWaitMs;
    for (;;) {
      const current = await this.store.admin.signInOf(account.id);
      if (!current || current.sessionId !== session.sessionId) return { session, ended: true };
      if (this.now() >= deadline) return { session, ended: false };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private entry(action: string, target: string, detail: string) {
    return { at: this.now(), actor: this.options.actor, action, target, detail };
  }
}

export function checkedHandle(handle: string): string {
  if (!isValidHandle(handle)) throw new AdminError(`"${handle}" is not a valid handle (an e-mail address like you@example.com)`);
  return normalizeHandle(handle);
}

/** A friendly name as the wire carries it (MSNP5.md 3.4), within the limit of 14. */
export function encodedName(name: string): string {
  if (name.trim() === '') throw new AdminError('the name must not be empty');
  const check = acceptEncoded(canonicalEncode(name), NAME_MAX_BYTES);
  if (!check.ok) throw new AdminError(`the name is ${check.reason === 'too-long' ? 'too long' : 'not allowed'}`);
  return check.wire;
}

function noAccount(handle: string): AdminError {
  return new AdminError(`no account ${handle}`);
}

export type { EndReason };
