import type { AdminRecords, AuditEntry, RemovedRecord, SessionNotice } from './admin-store.ts';
import type { Outcome } from './failure.ts';
import type { ContactAdd, ContactAdded, ContactRemove, ContactRemoved } from './list-edits.ts';
import type { Account, ContactEntry, ContactGroup, ListMembership, ListName, Phones, PrivacyFacts, Profile } from './types.ts';

/** Thrown by createAccount when the handle is taken. */
export class AccountExistsError extends Error {
  constructor(handle: string) {
    super(`account ${handle} already exists`);
    this.name = 'AccountExistsError';
  }
}

export interface NewAccount {
  handle: string;
  /** Encoded friendly name. */
  friendlyName: string;
  /** The messenger (MD5 scheme) password in clear; the store keeps it encrypted at rest. */
  secret: string;
  verified: boolean;
  /** May sign in to the admin console (default false). */
  admin?: boolean;
}

export interface AccountPatch {
  friendlyName?: string;
  gtc?: 'A' | 'N';
  blp?: 'AL' | 'BL';
  phones?: Partial<Phones>;
  verified?: boolean;
  kid?: boolean;
  profile?: Partial<Profile>;
  disabled?: boolean;
  disabledReason?: string;
  admin?: boolean;
  sessionsEndedAt?: number;
}

/** A member-directory entry (MSNP5.md 9.17): decoded text; only listed entries are searched. */
export interface DirectoryEntry {
  listed: boolean;
  firstName: string;
  lastName: string;
  city: string;
  state: string;
  country: string;
}

/** A directory search on decoded values; an absent city, state or country matches any. */
export interface DirectoryQuery {
  firstName: string;
  lastName: string;
  city?: string;
  state?: string;
  country?: string;
}

export interface DirectoryHit {
  accountId: number;
  firstName: string;
  lastName: string;
  city: string;
  state: string;
  country: string;
}

/** Thrown by createAlert when a recipient handle has no account. */
export class UnknownRecipientError extends Error {
  constructor(readonly handles: string[]) {
    super(`no account ${handles.join(', ')}`);
    this.name = 'UnknownRecipientError';
  }
}

export interface NewAlert {
  text: string;
  /** Absolute http(s) URL the alert links to, or ''. */
  url: string;
  /** Handles, or every account that exists now. */
  recipients: readonly string[] | 'all';
}

export interface StoredAlert {
  id: number;
  text: string;
  url: string;
  /** Unix seconds. */
  createdAt: number;
}

export interface PendingAlert {
  accountId: number;
  alert: StoredAlert;
}

/** Unread mail in the account's inbox and in its other folders (MSNP5.md 12.2). */
export interface MailboxCounts {
  inboxUnread: number;
  foldersUnread: number;
}

export type OutboxKind = 'email' | 'page';

/** An e-mail (SDC/SND) or a page (PAG) to deliver (MSNP5.md 9.18–9.20). */
export interface NewOutboxItem {
  kind: OutboxKind;
  /** E-mail: the address. Page: the digits of the mobile number. */
  recipient: string;
  /** The handle of the user who sent it. */
  sender: string;
  subject: string;
  body: string;
  /** Page only: a call-back number (digits), or ''. */
  callback: string;
}

export interface OutboxItem extends NewOutboxItem {
  id: number;
  /** Unix ms. */
  createdAt: number;
  /** Attempts started so far, this one included. */
  attempts: number;
}

export interface OutboxRecord extends OutboxItem {
  /** Unix ms of the next attempt; null once sent or given up. */
  dueAt: number | null;
  sentAt: number | null;
  lastError: string;
}

/** A contact record with the contact's phones and what the record's owner is to the contact (8.3). */
export interface ContactWithFacts extends ContactEntry {
  phones: Phones;
  facts: PrivacyFacts;
}

export interface Watcher {
  handle: string;
  /** On the owner's AL / BL. */
  onAL: boolean;
  onBL: boolean;
}

export interface ContactWrite {
  name: string;
  lists: ListMembership;
  groups: number[];
}

/**
 * Reads and writes inside one transaction. Everything a transaction does is committed together
 * or not at all; the caller acknowledges a change to a client only after `transaction` resolved.
 */
export interface StoreTx {
  accountById(id: number): Promise<Account | undefined>;
  accountByHandle(handle: string): Promise<Account | undefined>;
  accountsByIds(ids: readonly number[]): Promise<Map<number, Account>>;
  /** Takes row locks on these accounts in id order (PostgreSQL); SQLite transactions are serial. */
  lockAccounts(ids: readonly number[]): Promise<void>;
  /** Every contact record of the owner, in the order the records were created. */
  contacts(ownerId: number): Promise<ContactEntry[]>;
  contact(ownerId: number, contactId: number): Promise<ContactEntry | undefined>;
  countList(ownerId: number, list: ListName): Promise<number>;
  /** Creates or replaces the record; a record on no list is deleted. */
  saveContact(ownerId: number, contactId: number, write: ContactWrite): Promise<void>;
  updateAccount(id: number, patch: AccountPatch): Promise<void>;
  /** Adds one to the account's list version (after 4294967295 comes 1) and returns the new value. */
  bumpVersion(id: number): Promise<number>;
  /** The owner's MSNP7 groups by id (group 0 always among them). */
  groups(ownerId: number): Promise<ContactGroup[]>;
  /** Creates or renames the group. */
  saveGroup(ownerId: number, group: ContactGroup): Promise<void>;
  deleteGroup(ownerId: number, groupId: number): Promise<void>;
  /** The owner's RL (who has the owner on FL), each with the owner's AL/BL bits of it: for presence fan-out. */
  watchers(ownerId: number): Promise<Watcher[]>;
  /** Every record of the owner as `contacts` gives it, each with the contact's phones and privacy facts (SYN, ILN). */
  contactsWithFacts(ownerId: number): Promise<ContactWithFacts[]>;
  /** For each owner, what the viewer is to it (owner's BLP, viewer on owner's AL/BL). */
  privacyTowards(viewerId: number, ownerIds: readonly number[]): Promise<Map<number, PrivacyFacts>>;
  /** Writes an entry of the audit log (core/admin.ts). */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Queues a notice for the node that holds the user's session (core/admin-store.ts). */
  addNotice(handle: string, notice: SessionNotice, now: number): Promise<void>;
  /**
   * Deletes the account and every record of it on others' lists; each owner's version goes up
   * once per list it was on. Returns those owners. The caller holds the account's lock.
   */
  removeAccount(id: number): Promise<RemovedRecord[]>;
}

/** Undelivered outbox items (waiting for an attempt, or given up) and undelivered alert copies. */
export interface StoreBacklog {
  outbox: { kind: OutboxKind; state: 'waiting' | 'given-up'; count: number }[];
  pendingAlerts: number;
}

/** An account with its contacts (and their facts) and its groups, read together (Store.listsAtOnce). */
export interface ListsAtOnce {
  account: Account;
  contacts: ContactWithFacts[];
  groups: ContactGroup[];
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** What the administration keeps (core/admin-store.ts). */
  readonly admin: AdminRecords;
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Several related reads that see one state, as in a transaction, and write nothing (SYN's
   * snapshot); `fn` may run twice (SQLite reads again in a transaction when another process
   * committed during the first run).
   */
  snapshot<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: what SYN's snapshot reads (the account, its contacts with their facts, its
   * groups) in one statement, which sees one state by itself: one round trip where `snapshot` takes
   * four. Undefined when the account is gone. Absent on SQLite, whose `snapshot` needs no
   * transaction and may reuse the sign-in's read of the account.
   */
  readonly listsAtOnce?: (accountId: number) => Promise<ListsAtOnce | undefined>;
  /**
   * Reads outside a transaction: for one statement, which sees one consistent state by itself,
   * without the round trips of BEGIN and COMMIT. Never for writes or for several related reads.
   */
  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * A number that stays the same only while nothing that the contact lists and their privacy facts
   * (`contactsWithFacts`) are read from, nor any account's row (`accountById`), can have changed:
   * any list edit, BLP, rename, account removal, by any user or process. Undefined where the store
   * cannot tell (PostgreSQL, written by other nodes). Taken before a read, it lets a later equal
   * value prove that reading again would return the same.
   */
  listsVersion(): number | undefined;
  /** ADD of a contact (MSNP5.md 9.8 from check 5, with the RL mirror): checks and writes in one transaction. */
  addContact(req: ContactAdd): Promise<Outcome<ContactAdded>>;
  /** REM of a contact (MSNP5.md 9.9, with the RL mirror): checks and writes in one transaction. */
  removeContact(req: ContactRemove): Promise<Outcome<ContactRemoved>>;
  findAccount(handle: string): Promise<Account | undefined>;
  listAccounts(): Promise<Account[]>;
  /** Creates the account with its group 0 (and `audit`, in the same transaction). Throws AccountExistsError. */
  createAccount(input: NewAccount, audit?: AuditEntry): Promise<Account>;
  /** Removes the account and every record of it on others' lists (bumping their versions). */
  deleteAccount(handle: string): Promise<boolean>;
  /** The decrypted MD5-scheme secret, or undefined when there is no such account. */
  secretOf(handle: string): Promise<string | undefined>;
  /** The account and its decrypted secret in one read (a login needs both). */
  credentialsOf(handle: string): Promise<{ account: Account; secret: string } | undefined>;
  /** Sets the secret (and appends `audit`, in the same transaction); false when there is no such account. */
  setSecret(handle: string, secret: string, audit?: AuditEntry): Promise<boolean>;

  directoryEntry(accountId: number): Promise<DirectoryEntry | undefined>;
  /** Creates or replaces the account's entry; null removes it. */
  setDirectoryEntry(accountId: number, entry: DirectoryEntry | null): Promise<void>;
  /** Listed entries matching case-insensitively (see core/directory.ts), in account order, at most `limit`. */
  searchDirectory(query: DirectoryQuery, limit: number): Promise<DirectoryHit[]>;

  /** Stores the alert and one pending delivery per recipient. Throws UnknownRecipientError. */
  createAlert(alert: NewAlert): Promise<{ id: number; recipients: number }>;
  /** Alerts not yet delivered to these accounts, oldest first. */
  pendingAlerts(accountIds: readonly number[]): Promise<PendingAlert[]>;
  /** Removes the pending delivery; true for exactly one caller, however many race (MSNP5.md 9.21). */
  claimAlert(accountId: number, alertId: number): Promise<boolean>;
  /** Deletes the alerts created before this Unix second, with their undelivered copies; returns how many. */
  expireAlerts(createdBefore: number): Promise<number>;

  /** Unread mail as last reported (undefined: never reported). */
  mailbox(accountId: number): Promise<MailboxCounts | undefined>;
  setMailbox(accountId: number, counts: MailboxCounts): Promise<void>;

  /** Returns the new item's id once it is committed. */
  enqueueOutbox(item: NewOutboxItem, now: number): Promise<number>;
  /**
   * The oldest item due at `now`, claimed for `leaseMs` (its next attempt is pushed back by that
   * much, so that another worker does not take it meanwhile) and its attempts counted.
   */
  nextOutbox(now: number, leaseMs: number): Promise<OutboxItem | undefined>;
  markOutboxSent(id: number, now: number): Promise<void>;
  /** Records the failure; `retryAt` null gives up on the item. */
  markOutboxFailed(id: number, error: string, retryAt: number | null): Promise<void>;
  outboxItem(id: number): Promise<OutboxRecord | undefined>;
  /** Unsent items that failed at least once or were given up, newest first, at most `limit` (the admin console). */
  failedOutbox(limit: number): Promise<OutboxRecord[]>;
  /** Makes an unsent item due at `now` with a fresh count of attempts; false when there is no such unsent item. */
  retryOutbox(id: number, now: number): Promise<boolean>;
  /** Deletes an unsent item; false when there is no such unsent item. */
  dropOutbox(id: number): Promise<boolean>;
  /** Work waiting in the store, for the server's metrics; absent: not measured. */
  backlog?(): Promise<StoreBacklog>;

  close(): Promise<void>;
}
