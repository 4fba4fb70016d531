// A session's lists (MSNP5.md 8, 9.4, 9.8–9.10): the SYN/LST snapshot and the list edits ADD, REM
// and REA of a contact, with the RL mirror on the contact's side.
import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { PresenceRecord, Shown } from './bus.ts';
import { groupMissing, withGroup, withoutGroup } from './groups.ts';
import { factsFromOwnRecord } from './presence.ts';
import { mustAccount, type SessionState, withVersion } from './session-state.ts';
import type { StoreTx } from './store.ts';
import {
  allows,
  type Account,
  DEFAULT_GROUP_ID,
  type ContactEntry,
  type ContactGroup,
  type EditableList,
  type ListMembership,
  type Phones,
  type PrivacyFacts,
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

interface AddTxResult {
  version: number;
  contact: Account;
  entry: ContactEntry;
  me: Account;
  reverse: number | undefined;
  facts: PrivacyFacts | undefined;
  ownerRecord: ListMembership;
  membershipOnly?: boolean;
}

interface RemoveTxResult {
  version: number;
  reverse: number | undefined;
  entry: ContactEntry;
  me: Account;
  membershipOnly?: boolean;
}

const EMPTY_LISTS: ListMembership = { FL: false, AL: false, BL: false, RL: false };

/** Phones as a viewer may see them: real values only if allowed (MSNP5.md D-10). */
export function phonesAsSeen(phones: Phones, allowed: boolean): Phones {
  if (allowed) return phones;
  return { PHH: '', PHW: '', PHM: '', MOB: 'N', MBE: phones.MBE };
}

/**
 * SYN and LST: one consistent snapshot of the account and its lists (MSNP5.md 9.4), with the FL
 * contacts' phones (BPR) and the groups (LSG) only for the sessions that send them.
 */
export async function snapshot(s: SessionState, want: { phones: boolean; groups: boolean }): Promise<SyncSnapshot> {
  return s.store.transaction(async (tx) => {
    const account = await mustAccount(tx, s.account.id);
    const contacts: SyncEntry[] = want.phones ? await contactsWithVisiblePhones(tx, account.id) : await tx.contacts(account.id);
    const groups = want.groups ? await tx.groups(account.id) : [];
    s.account = account;
    return { account, contacts, groups };
  });
}

async function contactsWithVisiblePhones(tx: StoreTx, ownerId: number): Promise<SyncEntry[]> {
  return (await tx.contactsWithFacts(ownerId)).map(({ phones, facts, ...entry }) =>
    entry.lists.FL ? { ...entry, visiblePhones: phonesAsSeen(phones, allows(facts)) } : entry,
  );
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
  const result = await s.store.transaction(async (tx): Promise<Outcome<AddTxResult>> => {
    const contact = await tx.accountByHandle(handle);
    if (!contact) return { error: ErrorCode.INVALID_USER };
    const missing = group === undefined ? undefined : await groupMissing(tx, owner.id, group);
    if (missing) return missing;
    await tx.lockAccounts([owner.id, contact.id]);
    const record = await tx.contact(owner.id, contact.id);
    const lists = record?.lists ?? EMPTY_LISTS;
    if (list === 'FL' && record?.lists.FL && group !== undefined && !record.groups.includes(group)) {
      return joinGroup(s, tx, contact, record, name, group);
    }
    if (lists[list]) return { error: ErrorCode.ALREADY_THERE };
    if ((list === 'AL' && lists.BL) || (list === 'BL' && lists.AL)) {
      return { error: ErrorCode.ALREADY_IN_OPPOSITE_LIST };
    }
    if (await isFull(s, tx, owner.id, list)) return { error: ErrorCode.LIST_FULL };
    if (list === 'FL' && (await isFull(s, tx, contact.id, 'RL'))) return { error: ErrorCode.LIST_FULL };
    const updated = { ...lists, [list]: true };
    const groups = list === 'FL' ? [group ?? DEFAULT_GROUP_ID] : (record?.groups ?? []);
    await tx.saveContact(owner.id, contact.id, { name, lists: updated, groups });
    const version = await tx.bumpVersion(owner.id);
    const me = withVersion(owner, version);
    const mirror = list === 'FL' ? await addReverse(tx, contact, me) : undefined;
    const entry: ContactEntry = { contactId: contact.id, handle: contact.handle, name, lists: updated, groups };
    return { ok: true, version, contact, entry, me, reverse: mirror?.version, facts: mirror?.facts, ownerRecord: updated };
  });
  if (!('ok' in result)) return result;
  s.account = result.me;
  if (result.membershipOnly) return { ok: true, version: result.version, membershipOnly: true };
  return { ok: true, ...(await afterAdd(s, list, result)) };
}

/** MSNP7: an FL contact joins one more group; nothing else changes (MSNP5.md 9.8). */
async function joinGroup(
  s: SessionState,
  tx: StoreTx,
  contact: Account,
  record: ContactEntry,
  name: string,
  group: number,
): Promise<Outcome<AddTxResult>> {
  const owner = s.account;
  const entry = { ...record, name, groups: withGroup(record.groups, group) };
  await tx.saveContact(owner.id, record.contactId, entry);
  const version = await tx.bumpVersion(owner.id);
  const me = withVersion(owner, version);
  return { ok: true, version, contact, entry, me, reverse: undefined, facts: undefined, ownerRecord: record.lists, membershipOnly: true };
}

async function afterAdd(s: SessionState, list: EditableList, r: AddTxResult): Promise<AddResult> {
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
  const result = await s.store.transaction(async (tx): Promise<Outcome<RemoveTxResult>> => {
    const contact = await tx.accountByHandle(handle);
    if (!contact) return { error: ErrorCode.NOT_ON_LIST };
    await tx.lockAccounts([owner.id, contact.id]);
    const record = await tx.contact(owner.id, contact.id);
    if (!record?.lists[list]) return { error: ErrorCode.NOT_ON_LIST };
    if (group !== undefined) return leaveGroup(s, tx, record, group);
    const lists = { ...record.lists, [list]: false };
    const groups = list === 'FL' ? [] : record.groups;
    await tx.saveContact(owner.id, contact.id, { name: record.name, lists, groups });
    const version = await tx.bumpVersion(owner.id);
    const reverse = list === 'FL' ? await removeReverse(tx, contact.id, owner.id) : undefined;
    return { ok: true, version, reverse, entry: { ...record, lists, groups }, me: withVersion(owner, version) };
  });
  if (!('ok' in result)) return result;
  s.account = result.me;
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

/** MSNP7: an FL contact leaves one group and stays on FL (MSNP5.md 9.9). */
async function leaveGroup(s: SessionState, tx: StoreTx, record: ContactEntry, group: number): Promise<Outcome<RemoveTxResult>> {
  const ownerId = s.account.id;
  const missing = await groupMissing(tx, ownerId, group);
  if (missing) return missing;
  if (!record.groups.includes(group)) return { error: ErrorCode.NOT_IN_GROUP };
  const entry = { ...record, groups: withoutGroup(record.groups, group) };
  await tx.saveContact(ownerId, record.contactId, entry);
  const version = await tx.bumpVersion(ownerId);
  return { ok: true, version, reverse: undefined, entry, me: withVersion(s.account, version), membershipOnly: true };
}

/** REA of a contact: only the stored name changes (MSNP5.md 9.10). */
export async function renameContact(s: SessionState, handle: string, name: string): Promise<Outcome<{ version: number }>> {
  const ownerId = s.account.id;
  const result = await s.store.transaction(async (tx): Promise<Outcome<{ version: number }>> => {
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

async function isFull(s: SessionState, tx: StoreTx, accountId: number, list: EditableList | 'RL'): Promise<boolean> {
  const limit = list === 'FL' ? s.limits.forwardList : s.limits.otherLists;
  return (await tx.countList(accountId, list)) >= limit;
}

/**
 * Puts the adder on the contact's RL (MSNP5.md 8.2 RL mirror). Returns the contact's new version
 * and what the adder is to the contact (8.3), read from the same record.
 */
async function addReverse(tx: StoreTx, contact: Account, adder: Account): Promise<{ version: number; facts: PrivacyFacts }> {
  const record = await tx.contact(contact.id, adder.id);
  const lists = { ...(record?.lists ?? EMPTY_LISTS), RL: true };
  // A record the server creates for RL starts with the adder's friendly name (MSNP5.md 8.2).
  const name = record?.name ?? adder.friendlyName;
  await tx.saveContact(contact.id, adder.id, { name, lists, groups: record?.groups ?? [] });
  const version = await tx.bumpVersion(contact.id);
  return { version, facts: factsFromOwnRecord(contact.blp, record) };
}

async function removeReverse(tx: StoreTx, contactId: number, removerId: number): Promise<number | undefined> {
  const record = await tx.contact(contactId, removerId);
  if (!record?.lists.RL) return undefined;
  await tx.saveContact(contactId, removerId, { name: record.name, lists: { ...record.lists, RL: false }, groups: record.groups });
  return tx.bumpVersion(contactId);
}
