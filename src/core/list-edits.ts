// ADD and REM of a contact (MSNP5.md 9.8, 9.9) as the store runs them: every check and write of one
// change in one transaction, with the RL mirror on the contact's side (8.2). This is the
// engine-neutral form over StoreTx; an engine may run the same steps server-side in one round trip
// (src/store/pg-list-edits.ts), and test/store/list-edits-suite.ts holds both to the same results.
import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { groupMissing, withGroup, withoutGroup } from './groups.ts';
import type { ListLimits } from './limits.ts';
import { factsFromOwnRecord } from './presence.ts';
import type { StoreTx } from './store.ts';
import { DEFAULT_GROUP_ID, type ContactEntry, type EditableList, type ListMembership, type Phones, type PrivacyFacts } from './types.ts';

export interface ContactAdd {
  ownerId: number;
  /** The adder's friendly name: the name of an RL record the server creates (8.2). */
  adderName: string;
  list: EditableList;
  handle: string;
  name: string;
  /** MSNP7, FL only: the group to put the contact in. */
  group?: number;
  limits: ListLimits;
}

export interface ContactAdded {
  version: number;
  contact: { id: number; handle: string; phones: Phones };
  /** The owner's record as written. */
  entry: ContactEntry;
  /** The owner's record before (its lists), for the AL/BL retelling. */
  ownerRecord: ListMembership;
  /** FL: the contact's new list version (RL mirror) and what the adder is to the contact. */
  reverse?: number;
  facts?: PrivacyFacts;
  /** MSNP7: the contact was on FL already and only joined the group. */
  membershipOnly: boolean;
}

export interface ContactRemove {
  ownerId: number;
  list: EditableList;
  handle: string;
  /** MSNP7, FL only: remove only this membership. */
  group?: number;
}

export interface ContactRemoved {
  version: number;
  /** The owner's record as it is now (lists all false when it was deleted). */
  entry: ContactEntry;
  /** FL: the contact's new list version, when the adder was on its RL. */
  reverse?: number;
  membershipOnly: boolean;
}

const EMPTY_LISTS: ListMembership = { FL: false, AL: false, BL: false, RL: false };

export async function addOnTx(tx: StoreTx, req: ContactAdd): Promise<Outcome<ContactAdded>> {
  const { ownerId, list, name, group } = req;
  const contact = await tx.accountByHandle(req.handle);
  if (!contact) return { error: ErrorCode.INVALID_USER };
  const missing = group === undefined ? undefined : await groupMissing(tx, ownerId, group);
  if (missing) return missing;
  await tx.lockAccounts([ownerId, contact.id]);
  const record = await tx.contact(ownerId, contact.id);
  const target = { id: contact.id, handle: contact.handle, phones: contact.phones };
  if (list === 'FL' && record?.lists.FL && group !== undefined && !record.groups.includes(group)) {
    const entry = { ...record, name, groups: withGroup(record.groups, group) };
    await tx.saveContact(ownerId, record.contactId, entry);
    const version = await tx.bumpVersion(ownerId);
    return { ok: true, version, contact: target, entry, ownerRecord: record.lists, membershipOnly: true };
  }
  const lists = record?.lists ?? EMPTY_LISTS;
  if (lists[list]) return { error: ErrorCode.ALREADY_THERE };
  if ((list === 'AL' && lists.BL) || (list === 'BL' && lists.AL)) return { error: ErrorCode.ALREADY_IN_OPPOSITE_LIST };
  if ((await tx.countList(ownerId, list)) >= limitOf(req.limits, list)) return { error: ErrorCode.LIST_FULL };
  if (list === 'FL' && (await tx.countList(contact.id, 'RL')) >= limitOf(req.limits, 'RL')) return { error: ErrorCode.LIST_FULL };
  const updated = { ...lists, [list]: true };
  const groups = list === 'FL' ? [group ?? DEFAULT_GROUP_ID] : (record?.groups ?? []);
  await tx.saveContact(ownerId, contact.id, { name, lists: updated, groups });
  const version = await tx.bumpVersion(ownerId);
  const entry: ContactEntry = { contactId: contact.id, handle: contact.handle, name, lists: updated, groups };
  const added = { version, contact: target, entry, ownerRecord: updated, membershipOnly: false };
  if (list !== 'FL') return { ok: true, ...added };
  // The RL mirror: what the adder is to the contact comes from the same record (8.3).
  const mirror = await tx.contact(contact.id, ownerId);
  await tx.saveContact(contact.id, ownerId, {
    // A record the server creates for RL starts with the adder's friendly name (8.2).
    name: mirror?.name ?? req.adderName,
    lists: { ...(mirror?.lists ?? EMPTY_LISTS), RL: true },
    groups: mirror?.groups ?? [],
  });
  const reverse = await tx.bumpVersion(contact.id);
  return { ok: true, ...added, reverse, facts: factsFromOwnRecord(contact.blp, mirror) };
}

export async function removeOnTx(tx: StoreTx, req: ContactRemove): Promise<Outcome<ContactRemoved>> {
  const { ownerId, list, group } = req;
  const contact = await tx.accountByHandle(req.handle);
  if (!contact) return { error: ErrorCode.NOT_ON_LIST };
  await tx.lockAccounts([ownerId, contact.id]);
  const record = await tx.contact(ownerId, contact.id);
  if (!record?.lists[list]) return { error: ErrorCode.NOT_ON_LIST };
  if (group !== undefined) {
    const missing = await groupMissing(tx, ownerId, group);
    if (missing) return missing;
    if (!record.groups.includes(group)) return { error: ErrorCode.NOT_IN_GROUP };
    const entry = { ...record, groups: withoutGroup(record.groups, group) };
    await tx.saveContact(ownerId, record.contactId, entry);
    return { ok: true, version: await tx.bumpVersion(ownerId), entry, membershipOnly: true };
  }
  const lists = { ...record.lists, [list]: false };
  const groups = list === 'FL' ? [] : record.groups;
  await tx.saveContact(ownerId, contact.id, { name: record.name, lists, groups });
  const version = await tx.bumpVersion(ownerId);
  const entry = { ...record, lists, groups };
  if (list !== 'FL') return { ok: true, version, entry, membershipOnly: false };
  const mirror = await tx.contact(contact.id, ownerId);
  if (!mirror?.lists.RL) return { ok: true, version, entry, membershipOnly: false };
  await tx.saveContact(contact.id, ownerId, { name: mirror.name, lists: { ...mirror.lists, RL: false }, groups: mirror.groups });
  return { ok: true, version, entry, reverse: await tx.bumpVersion(contact.id), membershipOnly: false };
}

function limitOf(limits: ListLimits, list: EditableList | 'RL'): number {
  return list === 'FL' ? limits.forwardList : limits.otherLists;
}
