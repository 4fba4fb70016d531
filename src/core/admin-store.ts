// What the administration (core/admin.ts) keeps in the store: the audit log, the notices that carry
// an operator's action to the node holding a session, where each account is signed in, and each
// running node's report. A CLI process and the running servers share nothing but the store (as for
// alerts), so the store is where they meet, on SQLite as on PostgreSQL, in one process or a cluster.
import type { UserEvent } from './bus.ts';
import type { DirectoryEntry } from './store.ts';
import type { Account, ListName } from './types.ts';

/** One admin action. `actor` is `cli:<os user>` or `web:<admin handle>`. */
export interface AuditEntry {
  /** Unix ms. */
  at: number;
  actor: string;
  action: string;
  /** The handle acted on ('' for actions on no account). */
  target: string;
  detail: string;
}

export interface StoredAuditEntry extends AuditEntry {
  id: number;
}

/** Why an operator ended an account's sessions. */
export type EndReason = 'disabled' | 'deleted' | 'kicked';

/** What the node holding `handle`'s NS session must do. */
export type SessionNotice =
  /** End the session (NS `OUT`, then close; MSNP5.md 9.26). */
  | { kind: 'end'; reason: EndReason }
  /** The operator renamed the account: the session takes the name (MSNP5.md 9.10). */
  | { kind: 'renamed'; name: string; version: number }
  /** A list change made outside the session (REM 0 …): as if it came over the bus. */
  | { kind: 'event'; event: UserEvent };

export interface StoredNotice {
  id: number;
  handle: string;
  notice: SessionNotice;
  /** Unix ms. */
  createdAt: number;
}

/** Where an account's NS session is. */
export interface SignIn {
  sessionId: string;
  /** The node's id (NodeReport.id). */
  node: string;
  dialect: string;
  /** The client's remote address. */
  address: string;
  /** Unix ms. */
  since: number;
}

/** What a running node reports about itself every few seconds (msnd status). */
export interface NodeReport {
  id: string;
  version: string;
  /** Unix ms. */
  startedAt: number;
  host: string;
  pid: number;
  /** host:port of its NS, SB, web server. */
  ns: string;
  sb: string;
  web: string;
  /** Signed-in NS sessions on this node. */
  sessions: number;
  /** Switchboard sessions (chats) on this node. */
  switchboards: number;
  /** `local` (one process) or `redis`. */
  bus: string;
}

export interface StoredNodeReport {
  report: NodeReport;
  /** Unix ms of its last report. */
  seenAt: number;
}

/** One account as an operator sees it (msnd user show). */
export interface AccountDetails {
  account: Account;
  disabledReason: string;
  lastSignIn?: { at: number; address: string };
  /** Its NS session as recorded (the caller checks that the node still reports). */
  signIn?: SignIn;
  listSizes: Record<ListName, number>;
  directory?: DirectoryEntry;
}

/** An account that held a record of a deleted account: the lists it was on, and the owner's new versions. */
export interface RemovedRecord {
  owner: string;
  lists: ListName[];
  /** One new list version per list, in the same order (MSNP5.md 8.4: +1 per change). */
  versions: number[];
}

export interface AdminRecords {
  details(handle: string): Promise<AccountDetails | undefined>;
  /** Records the sign-in as the account's last and as where it is signed in now. */
  recordSignIn(accountId: number, signIn: SignIn): Promise<void>;
  /** Forgets where the account is signed in, if it is still this session. */
  recordSignOut(accountId: number, sessionId: string): Promise<void>;
  /** Where the account is signed in, as recorded. */
  signInOf(accountId: number): Promise<SignIn | undefined>;
  /** Notices with an id above `afterId`, oldest first, at most `limit`. */
  notices(afterId: number, limit: number): Promise<StoredNotice[]>;
  /** The highest notice id so far (0: none). */
  lastNoticeId(): Promise<number>;
  /** Deletes the notices created before this Unix ms. */
  pruneNotices(createdBefore: number): Promise<number>;
  reportNode(report: NodeReport, now: number): Promise<void>;
  /** A node that stops: its report and its sign-ins go. */
  forgetNode(id: string): Promise<void>;
  nodes(): Promise<StoredNodeReport[]>;
  /** Signed-in sessions recorded per node. */
  signInsPerNode(): Promise<Map<string, number>>;
  /** Audit entries at or after `since` (Unix ms), oldest first, the newest `limit`. */
  auditLog(since: number, limit: number): Promise<StoredAuditEntry[]>;
}
