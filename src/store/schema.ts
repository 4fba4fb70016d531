import type { Generated } from 'kysely';

/** A boolean column: PostgreSQL reads `boolean`, SQLite reads 0/1 (see Engine.flag for writes). */
export type Flag = boolean | number;

export interface AccountsTable {
  /** Also the Passport member id of the profile message. */
  id: Generated<number>;
  handle: string;
  friendly_name: string;
  /** base64(iv ‖ tag ‖ AES-256-GCM ciphertext) of the MD5-scheme secret. */
  secret_enc: string;
  verified: Flag;
  kid: Flag;
  list_version: number;
  gtc: 'A' | 'N';
  blp: 'AL' | 'BL';
  phh: string;
  phw: string;
  phm: string;
  mob: 'Y' | 'N';
  mbe: 'Y' | 'N';
  lang_preference: number;
  preferred_email: string;
  country: string;
  postal_code: string;
  gender: string;
  age: string;
  bday_pre: string;
  birthday: string;
  wallet: string;
  /** Unix seconds. */
  created_at: number;
  // Migration 0005 (administration).
  disabled: Generated<Flag>;
  disabled_reason: Generated<string>;
  admin: Generated<Flag>;
  /** Unix ms of the last NS sign-in, null: never. */
  last_signin_at: number | null;
  last_signin_address: Generated<string>;
  /** Unix ms: sessions (NS and browser) that began before it have been ended by an operator. */
  sessions_ended_at: Generated<number>;
}

export interface ContactsTable {
  owner_id: number;
  contact_id: number;
  fl: Flag;
  al: Flag;
  bl: Flag;
  rl: Flag;
  name: string;
  /** Comma-separated group ids ('0,3'), '' for none. */
  group_ids: string;
  /** Creation order within the owner's records; kept when the record is updated. */
  seq: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** One member-directory entry (migration 0002): decoded text, plus a search key per field. */
export interface DirectoryTable {
  account_id: number;
  listed: Flag;
  first_name: string;
  last_name: string;
  city: string;
  state: string;
  country: string;
  first_key: string;
  last_key: string;
  city_key: string;
  state_key: string;
  country_key: string;
}

export interface AlertsTable {
  id: Generated<number>;
  text: string;
  url: string;
  /** Unix seconds. */
  created_at: number;
}

/** An alert not yet delivered to one recipient; delivery deletes the row (exactly once). */
export interface PendingAlertsTable {
  account_id: number;
  alert_id: number;
}

/** E-mails (SDC/SND) and pages (PAG) waiting for, or done with, delivery. Times in Unix ms. */
export interface OutboxTable {
  id: Generated<number>;
  kind: 'email' | 'page';
  recipient: string;
  sender: string;
  subject: string;
  body: string;
  callback: string;
  created_at: number;
  /** When the next attempt may start; null once sent or given up. */
  due_at: number | null;
  sent_at: number | null;
  attempts: number;
  last_error: string;
}

/** An MSNP7 contact group of an account (migration 0003); group 0 always exists. */
export interface ContactGroupsTable {
  account_id: number;
  group_id: number;
  /** Encoded, as the client sent it (MSNP5.md 3.4). */
  name: string;
}

/** Unread mail of an account, as the operator's mail system last reported it (migration 0004). */
export interface MailboxesTable {
  account_id: number;
  inbox_unread: number;
  folders_unread: number;
}

/** One admin action (migration 0005). `at` in Unix ms. */
export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: string;
}

/** An operator's action for the node that holds a user's session, JSON in `body` (migration 0005). */
export interface SessionNoticesTable {
  id: Generated<number>;
  handle: string;
  body: string;
  /** Unix ms. */
  created_at: number;
}

/** Where each signed-in account's NS session is (migration 0005); stale when its node stopped reporting. */
export interface SigninsTable {
  account_id: number;
  session_id: string;
  node: string;
  dialect: string;
  address: string;
  /** Unix ms. */
  since: number;
}

/** Each running node's report (JSON) and when it was written (Unix ms), for `msnd status`. */
export interface NodesTable {
  id: string;
  report: string;
  seen_at: number;
}

export interface Database {
  audit_log: AuditLogTable;
  session_notices: SessionNoticesTable;
  signins: SigninsTable;
  nodes: NodesTable;
  accounts: AccountsTable;
  mailboxes: MailboxesTable;
  contact_groups: ContactGroupsTable;
  contacts: ContactsTable;
  msnd_meta: MetaTable;
  directory: DirectoryTable;
  alerts: AlertsTable;
  pending_alerts: PendingAlertsTable;
  outbox: OutboxTable;
}
