import type { Account, ContactEntry, ListMembership, ListName, Phones, PrivacyFacts, Profile } from './types.ts';

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
}

export interface AccountPatch {
  friendlyName?: string;
  gtc?: 'A' | 'N';
  blp?: 'AL' | 'BL';
  phones?: Partial<Phones>;
  verified?: boolean;
  kid?: boolean;
  profile?: Partial<Profile>;
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
  /** For each owner, what the viewer is to it (owner's BLP, viewer on owner's AL/BL). */
  privacyTowards(viewerId: number, ownerIds: readonly number[]): Promise<Map<number, PrivacyFacts>>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  findAccount(handle: string): Promise<Account | undefined>;
  listAccounts(): Promise<Account[]>;
  /** Throws AccountExistsError. */
  createAccount(input: NewAccount): Promise<Account>;
  /** Removes the account and every record of it on others' lists (bumping their versions). */
  deleteAccount(handle: string): Promise<boolean>;
  /** The decrypted MD5-scheme secret, or undefined when there is no such account. */
  secretOf(handle: string): Promise<string | undefined>;
  setSecret(handle: string, secret: string): Promise<boolean>;
  close(): Promise<void>;
}
