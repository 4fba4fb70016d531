// A session's lists (MSNP5.md 8, 9.4, 9.8–9.10): the SYN/LST snapshot and the list edits ADD, REM
// and REA of a contact, with the RL mirror on the contact's side.
import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { PresenceRecord, Shown } from './bus.ts';
import type { ContactAdded } from './list-edits.ts';
import { factsFromOwnRecord } from './presence.ts';
import { type FactsAtSync, mustAccount, type SessionState, unchangedSince, withVersion } from './session-state.ts';
import type { ContactWithFacts, Store } from './store.ts';
import {
  allows,
  type Account,
  type ContactEntry,
  type ContactGroup,
  type EditableList,
  type ListMembership,
  type Phones,
} from './types.ts';

export interface AddResult {
  version: number;
  /** MSNP7: the contact was on FL already and only joined the group (no BPR, no ILN; 9.8). */
  membershipOnly?: boolean;
  /** FL only: the new contact's phones as this user may see them (BPR lines). */
  phones?: Phones;
  /** FL only, when this session is present and the contact visible to it: the ILN line. */
  initial?: Shown;
}

export interface SyncEntry extends ContactEntry {
  /** FL entries: the phones as the owner may see them. */
  visiblePhones?: Phones;
}

export interface SyncSnapshot {
  account: Account;
  contacts: SyncEntry[];
  groups: ContactGroup[];
}

/** Phones as a viewer may see them: real values only if allowed (MSNP5.md D-10). */
export function phonesAsSeen(phones: Phones, allowed: boolean): Phones {
  if (allowed) return phones;
  return { PHH: '', PHW: '', PHM: '', MOB: 'N', MBE: phones.MBE };
}

/**
 * SYN and LST: one consistent snapshot of the account and its lists (MSNP5.md 9.4), with the FL
 * contacts' phones (BPR) and the groups (LSG) only for the sessions that send them. The contacts
 * with their facts read for the phones are kept for the first CHG (session-presence.ts
 * initialPresence), which reads them again unless the store proves nothing changed in between.
 */
export async function snapshot(s: SessionState, want: { phones: boolean; groups: boolean }): Promise<SyncSnapshot> {
  if (s.store.listsAtOnce) return snapshotAtOnce(s, s.store.listsAtOnce, want);
  let read: FactsAtSync | undefined;
  const result = await s.store.snapshot(async (tx) => {
    const account = accountKeptSinceLogin(s) ?? (await mustAccount(tx, s.account.id));
    let contacts: SyncEntry[];
    if (want.phones) {
      // Taken before the read: a change that the read might not see moves it (Store.listsVersion).
      const version = s.store.listsVersion();
      const withFacts = await tx.contactsWithFacts(account.id);
      if (version !== undefined) read = { version, contacts: withFacts };
      contacts = withVisiblePhones(withFacts);
    } else {
      contacts = await tx.contacts(account.id);
    }
    const groups = want.groups ? await tx.groups(account.id) : [];
    s.account = account;
    return { account, contacts, groups };
  });
  // Only once the snapshot's transaction has ended well, and only for a first CHG still to come.
  s.factsAtSync = s.present ? undefined : read;
  return result;
}

/** The snapshot in one read (Store.listsAtOnce: PostgreSQL); the first CHG reads the contacts again. */
async function snapshotAtOnce(
  s: SessionState,
  listsAtOnce: NonNullable<Store['listsAtOnce']>,
  want: { phones: boolean; groups: boolean },
): Promise<SyncSnapshot> {
  const read = await listsAtOnce(s.account.id);
  if (!read) throw new Error(`account ${s.account.id} vanished during a snapshot`);
  s.account = read.account;
  s.factsAtSync = undefined;
  const contacts = want.phones
    ? withVisiblePhones(read.contacts)
    : read.contacts.map(({ contactId, handle, name, lists, groups }): SyncEntry => ({ contactId, handle, name, lists, groups }));
  return { account: read.account, contacts, groups: want.groups ? read.groups : [] };
}

/**
 * The login's read of the account, if reading it again now would give the same: no write since
 * (the store's lists version counts every write to an account's row too). Taken once.
 */
function accountKeptSinceLogin(s: SessionState): Account | undefined {
  const kept = s.accountAtLogin;
  s.accountAtLogin = undefined;
  return unchangedSince(kept, s.store)?.account;
}

function withVisiblePhones(contacts: readonly ContactWithFacts[]): SyncEntry[] {
  // Fields written out, not rest and spread (the slow path of object copying; bench logins --profile).
  return contacts.map(({ contactId, handle, name, lists, groups, phones, facts }): SyncEntry => {
    const entry: SyncEntry = { contactId, handle, name, lists, groups };
    if (lists.FL) entry.visiblePhones = phonesAsSeen(phones, allows(facts));
    return entry;
  });
}

/**
 * ADD (MSNP5.md 9.8), from check 5 on; the server has checked syntax and the own handle.
 * `group` (MSNP7, FL only) puts the contact in that group; a new FL entry without one goes to group 0.
 */
export async function addContact(
  s: SessionState,
  list: EditableList,
  handle: string,
  name: string,
  group?: number,
): Promise<Outcome<AddResult>> {
  const owner = s.account;
  const result = await s.store.addContact({
    ownerId: owner.id,
    adderName: owner.friendlyName,
    list,
    handle,
    name,
    ...(group !== undefined && { group }),
    limits: s.limits,
  });
  if (!('ok' in result)) return result;
  s.account = withVersion(owner, result.version);
  if (result.membershipOnly) return { ok: true, version: result.version, membershipOnly: true };
  return { ok: true, ...(await afterAdd(s, list, result)) };
}

async function afterAdd(s: SessionState, list: EditableList, r: ContactAdded): Promise<AddResult> {
  const contactHandle = r.contact.handle;
  if (list !== 'FL') {
    await retellWatcher(s, r.entry, r.ownerRecord);
    return { version: r.version };
  }
  if (r.reverse !== undefined) {
    s.bus.routes.publish(contactHandle, {
      kind: 'reverse-added',
      version: r.reverse,
      contact: s.handle,
      name: s.account.friendlyName,
    });
  }
  const allowed = r.facts ? allows(r.facts) : false;
  const result: AddResult = { version: r.version, phones: phonesAsSeen(r.contact.phones, allowed) };
  if (s.present) {
    // The ADD is committed: a bus failure now costs only the ILN (the contact's next change shows it).
    const records = await s.bus.presence.get([contactHandle]).catch(() => new Map<string, PresenceRecord>());
    const record = records.get(contactHandle);
    const shown = record?.shown && allowed ? record.shown : null;
    s.shownToMe.set(contactHandle, { seq: record?.seq ?? 0, shown });
    if (shown) result.initial = shown;
  }
  return result;
}

/** REM (MSNP5.md 9.9); `group` (MSNP7, FL only) removes only that membership. */
export async function removeContact(
  s: SessionState,
  list: EditableList,
  handle: string,
  group?: number,
): Promise<Outcome<{ version: number }>> {
  const owner = s.account;
  const result = await s.store.removeContact({ ownerId: owner.id, list, handle, ...(group !== undefined && { group }) });
  if (!('ok' in result)) return result;
  s.account = withVersion(owner, result.version);
  if (list !== 'FL') {
    await retellWatcher(s, result.entry, result.entry.lists);
  } else if (!result.membershipOnly) {
    s.shownToMe.delete(handle);
    if (result.reverse !== undefined) {
      s.bus.routes.publish(handle, { kind: 'reverse-removed', version: result.reverse, contact: s.handle });
    }
  }
  return { ok: true, version: result.version };
}

/** REA of a contact: only the stored name changes (MSNP5.md 9.10). */
export async function renameContact(s: SessionState, handle: string, name: string): Promise<Outcome<{ version: number }>> {
  const ownerId = s.account.id;
  const result = await s.store.transaction(async (tx): Promise<Outcome<{ version: number }>> => {
    // The record is written back whole: the contact's ADD or REM of this user (which locks both
    // accounts) must not change its RL bit between the read and the write (PostgreSQL).
    await tx.lockAccounts([ownerId]);
    const contact = await tx.accountByHandle(handle);
    const record = contact && (await tx.contact(ownerId, contact.id));
    if (!record) return { error: ErrorCode.NOT_ON_LIST };
    await tx.saveContact(ownerId, record.contactId, { name, lists: record.lists, groups: record.groups });
    return { ok: true, version: await tx.bumpVersion(ownerId) };
  });
  return result;
}

/** After an AL/BL change: what that contact, if it watches this user, may now see (MSNP5.md 10.3). */
async function retellWatcher(s: SessionState, entry: ContactEntry, lists: ListMembership): Promise<void> {
  if (!lists.RL || !s.present) return;
  const allowed = allows(factsFromOwnRecord(s.account.blp, { ...entry, lists }));
  await s.afterCommit(s.fanout.toOneWatcher(s.handle, s.publicShown(), entry.handle, allowed));
}
