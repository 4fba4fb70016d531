import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { Bus, PresenceRecord, Shown, UserEvent } from './bus.ts';
import { groupMissing, nextGroupId, withGroup, withoutGroup } from './groups.ts';
import type { ListLimits } from './limits.ts';
import { changePhone, type PhoneSetting } from './phones.ts';
import { factsFromOwnRecord, PresenceFanout, publicShown } from './presence.ts';
import type { Store, StoreTx } from './store.ts';
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
  type Status,
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

export interface InitialPresence {
  handle: string;
  shown: Shown;
}

const EMPTY_LISTS: ListMembership = { FL: false, AL: false, BL: false, RL: false };

/** Phones as a viewer may see them: real values only if allowed (MSNP5.md D-10). */
export function phonesAsSeen(phones: Phones, allowed: boolean): Phones {
  if (allowed) return phones;
  return { PHH: '', PHW: '', PHM: '', MOB: 'N', MBE: phones.MBE };
}

/**
 * One signed-in user as core sees it: the user's lists and presence, and what this session has
 * last been shown of each contact. Commands reach it one at a time, in order.
 */
export class UserSession {
  private status: Status | undefined;
  /**
   * While present: every FL contact and what this session last showed of it (with the presence
   * sequence number it came with). Only handles and presence are kept, to keep an idle session small.
   */
  private readonly shownToMe = new Map<string, { seq: number; shown: Shown | null }>();
  private readonly fanout: PresenceFanout;

  private constructor(
    private account: Account,
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly limits: ListLimits,
  ) {
    this.fanout = new PresenceFanout(store, bus);
  }

  /** The session becomes present with its first status change. */
  static async open(account: Account, store: Store, bus: Bus, limits: ListLimits): Promise<UserSession> {
    return new UserSession(account, store, bus, limits);
  }

  get handle(): string {
    return this.account.handle;
  }

  get friendlyName(): string {
    return this.account.friendlyName;
  }

  get accountId(): number {
    return this.account.id;
  }

  get present(): boolean {
    return this.status !== undefined;
  }

  get currentStatus(): Status | undefined {
    return this.status;
  }

  /** A contact's presence event: what to show now (`undefined` when nothing changed). */
  presenceUpdate(event: Extract<UserEvent, { kind: 'presence' }>): Shown | null | undefined {
    if (!this.present || !this.shownToMe.has(event.contact)) return undefined;
    const last = this.shownToMe.get(event.contact);
    if (last && last.seq >= event.seq) return undefined;
    this.shownToMe.set(event.contact, { seq: event.seq, shown: event.shown });
    return sameShown(last?.shown ?? null, event.shown) ? undefined : event.shown;
  }

  /**
   * CHG (MSNP5.md 9.11, 10). Returns the ILN batch when this is the session's first CHG. When it
   * throws (the store or the bus failed), the session keeps its old status and the bus record is
   * put back as well as it can be: an error answer means nothing happened.
   */
  async changeStatus(status: Status): Promise<{ initial?: InitialPresence[] }> {
    const first = !this.present;
    const before = this.publicShown();
    const after = publicShown(status, this.account.friendlyName);
    // The ILN batch is read before anything is recorded, so that a failure to read it changes nothing.
    const initial = first ? await this.initialPresence() : undefined;
    if (first || !sameShown(before, after)) {
      try {
        await this.tellWatchers(after);
      } catch (error) {
        // The record may have changed before the failure; the bus records it again when it recovers.
        await this.bus.presence.set(this.handle, before).catch(() => {});
        throw error;
      }
    }
    this.status = status;
    if (!initial) return {};
    for (const [handle, memory] of initial.memory) this.shownToMe.set(handle, memory);
    return { initial: initial.shown };
  }

  /** The ILN batch: every FL contact that is visible and allows this user (MSNP5.md 9.12), and what it showed of each. */
  private async initialPresence(): Promise<{ shown: InitialPresence[]; memory: Map<string, { seq: number; shown: Shown | null }> }> {
    const contacts = (await this.store.read((tx) => tx.contactsWithFacts(this.account.id))).filter((c) => c.lists.FL);
    const records = await this.bus.presence.get(contacts.map((c) => c.handle));
    const initial: InitialPresence[] = [];
    const memory = new Map<string, { seq: number; shown: Shown | null }>();
    for (const contact of contacts) {
      const record = records.get(contact.handle);
      const shown = record?.shown && allows(contact.facts) ? record.shown : null;
      memory.set(contact.handle, { seq: record?.seq ?? 0, shown });
      if (shown) initial.push({ handle: contact.handle, shown });
    }
    return { shown: initial, memory };
  }

  /** Records and tells this user's presence again, with a new seq (the bus lost the old record). */
  async republishPresence(): Promise<void> {
    if (this.present) await this.tellWatchers(this.publicShown());
  }

  /** Signs the user out: watchers are told it is offline (MSNP5.md 10.6). */
  async signOut(): Promise<void> {
    if (this.present && publicShown(this.status, this.account.friendlyName)) {
      this.status = undefined;
      await this.tellWatchers(null);
    } else if (this.present) {
      this.status = undefined;
      await this.bus.presence.set(this.handle, null);
    }
  }

  /**
   * SYN and LST: one consistent snapshot of the account and its lists (MSNP5.md 9.4), with the FL
   * contacts' phones (BPR) and the groups (LSG) only for the sessions that send them.
   */
  async snapshot(want: { phones: boolean; groups: boolean }): Promise<SyncSnapshot> {
    return this.store.transaction(async (tx) => {
      const account = await mustAccount(tx, this.account.id);
      const contacts: SyncEntry[] = want.phones ? await this.contactsWithVisiblePhones(tx, account.id) : await tx.contacts(account.id);
      const groups = want.groups ? await tx.groups(account.id) : [];
      this.account = account;
      return { account, contacts, groups };
    });
  }

  private async contactsWithVisiblePhones(tx: StoreTx, ownerId: number): Promise<SyncEntry[]> {
    return (await tx.contactsWithFacts(ownerId)).map(({ phones, facts, ...entry }) =>
      entry.lists.FL ? { ...entry, visiblePhones: phonesAsSeen(phones, allows(facts)) } : entry,
    );
  }

  /**
   * ADD (MSNP5.md 9.8), from check 5 on; the server has checked syntax and the own handle.
   * `group` (MSNP7, FL only) puts the contact in that group; a new FL entry without one goes to group 0.
   */
  async add(list: EditableList, handle: string, name: string, group?: number): Promise<Outcome<AddResult>> {
    const owner = this.account;
    const result = await this.store.transaction(async (tx): Promise<Outcome<AddTxResult>> => {
      const contact = await tx.accountByHandle(handle);
      if (!contact) return { error: ErrorCode.INVALID_USER };
      const missing = group === undefined ? undefined : await groupMissing(tx, owner.id, group);
      if (missing) return missing;
      await tx.lockAccounts([owner.id, contact.id]);
      const record = await tx.contact(owner.id, contact.id);
      const lists = record?.lists ?? EMPTY_LISTS;
      if (list === 'FL' && record?.lists.FL && group !== undefined && !record.groups.includes(group)) {
        return this.joinGroup(tx, contact, record, name, group);
      }
      if (lists[list]) return { error: ErrorCode.ALREADY_THERE };
      if ((list === 'AL' && lists.BL) || (list === 'BL' && lists.AL)) {
        return { error: ErrorCode.ALREADY_IN_OPPOSITE_LIST };
      }
      if (await this.isFull(tx, owner.id, list)) return { error: ErrorCode.LIST_FULL };
      if (list === 'FL' && (await this.isFull(tx, contact.id, 'RL'))) return { error: ErrorCode.LIST_FULL };
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
    this.account = result.me;
    if (result.membershipOnly) return { ok: true, version: result.version, membershipOnly: true };
    return { ok: true, ...(await this.afterAdd(list, result)) };
  }

  /** MSNP7: an FL contact joins one more group; nothing else changes (MSNP5.md 9.8). */
  private async joinGroup(tx: StoreTx, contact: Account, record: ContactEntry, name: string, group: number): Promise<Outcome<AddTxResult>> {
    const owner = this.account;
    const entry = { ...record, name, groups: withGroup(record.groups, group) };
    await tx.saveContact(owner.id, record.contactId, entry);
    const version = await tx.bumpVersion(owner.id);
    const me = withVersion(owner, version);
    return { ok: true, version, contact, entry, me, reverse: undefined, facts: undefined, ownerRecord: record.lists, membershipOnly: true };
  }

  private async afterAdd(list: EditableList, r: AddTxResult): Promise<AddResult> {
    const contactHandle = r.contact.handle;
    if (list !== 'FL') {
      await this.retellWatcher(r.entry, r.ownerRecord);
      return { version: r.version };
    }
    if (r.reverse !== undefined) {
      this.bus.routes.publish(contactHandle, {
        kind: 'reverse-added',
        version: r.reverse,
        contact: this.handle,
        name: this.account.friendlyName,
      });
    }
    const allowed = r.facts ? allows(r.facts) : false;
    const result: AddResult = { version: r.version, phones: phonesAsSeen(r.contact.phones, allowed) };
    if (this.present) {
      // The ADD is committed: a bus failure now costs only the ILN (the contact's next change shows it).
      const records = await this.bus.presence.get([contactHandle]).catch(() => new Map<string, PresenceRecord>());
      const record = records.get(contactHandle);
      const shown = record?.shown && allowed ? record.shown : null;
      this.shownToMe.set(contactHandle, { seq: record?.seq ?? 0, shown });
      if (shown) result.initial = shown;
    }
    return result;
  }

  /** REM (MSNP5.md 9.9); `group` (MSNP7, FL only) removes only that membership. */
  async remove(list: EditableList, handle: string, group?: number): Promise<Outcome<{ version: number }>> {
    const owner = this.account;
    const result = await this.store.transaction(async (tx): Promise<Outcome<RemoveTxResult>> => {
      const contact = await tx.accountByHandle(handle);
      if (!contact) return { error: ErrorCode.NOT_ON_LIST };
      await tx.lockAccounts([owner.id, contact.id]);
      const record = await tx.contact(owner.id, contact.id);
      if (!record?.lists[list]) return { error: ErrorCode.NOT_ON_LIST };
      if (group !== undefined) return this.leaveGroup(tx, record, group);
      const lists = { ...record.lists, [list]: false };
      const groups = list === 'FL' ? [] : record.groups;
      await tx.saveContact(owner.id, contact.id, { name: record.name, lists, groups });
      const version = await tx.bumpVersion(owner.id);
      const reverse = list === 'FL' ? await removeReverse(tx, contact.id, owner.id) : undefined;
      return { ok: true, version, reverse, entry: { ...record, lists, groups }, me: withVersion(owner, version) };
    });
    if (!('ok' in result)) return result;
    this.account = result.me;
    if (list !== 'FL') {
      await this.retellWatcher(result.entry, result.entry.lists);
    } else if (!result.membershipOnly) {
      this.shownToMe.delete(handle);
      if (result.reverse !== undefined) {
        this.bus.routes.publish(handle, { kind: 'reverse-removed', version: result.reverse, contact: this.handle });
      }
    }
    return { ok: true, version: result.version };
  }

  /** MSNP7: an FL contact leaves one group and stays on FL (MSNP5.md 9.9). */
  private async leaveGroup(tx: StoreTx, record: ContactEntry, group: number): Promise<Outcome<RemoveTxResult>> {
    const ownerId = this.account.id;
    const missing = await groupMissing(tx, ownerId, group);
    if (missing) return missing;
    if (!record.groups.includes(group)) return { error: ErrorCode.NOT_IN_GROUP };
    const entry = { ...record, groups: withoutGroup(record.groups, group) };
    await tx.saveContact(ownerId, record.contactId, entry);
    const version = await tx.bumpVersion(ownerId);
    return { ok: true, version, reverse: undefined, entry, me: withVersion(this.account, version), membershipOnly: true };
  }

  /** LSG (MSNP5.md 9.29): the groups at the current list version. */
  async groups(): Promise<{ version: number; groups: ContactGroup[] }> {
    return this.store.transaction(async (tx) => {
      const account = await mustAccount(tx, this.account.id);
      return { version: account.listVersion, groups: await tx.groups(account.id) };
    });
  }

  /** ADG (MSNP5.md 9.29): the new group gets the lowest free id; 223 when all 30 exist. */
  async addGroup(name: string): Promise<Outcome<{ version: number; groupId: number }>> {
    const ownerId = this.account.id;
    return this.changeGroups<{ groupId: number }>(async (tx) => {
      const groupId = nextGroupId(await tx.groups(ownerId));
      if (groupId === undefined) return { error: ErrorCode.TOO_MANY_GROUPS };
      await tx.saveGroup(ownerId, { id: groupId, name });
      return { ok: true, groupId };
    });
  }

  /** REG (MSNP5.md 9.29); group 0 may be renamed too. */
  async renameGroup(groupId: number, name: string): Promise<Outcome<{ version: number }>> {
    const ownerId = this.account.id;
    return this.changeGroups<object>(async (tx) => {
      const missing = await groupMissing(tx, ownerId, groupId);
      if (missing) return missing;
      await tx.saveGroup(ownerId, { id: groupId, name });
      return { ok: true };
    });
  }

  /** RMG (MSNP5.md 9.29): members leave the group; those in no other group move to group 0 (D-11). */
  async removeGroup(groupId: number): Promise<Outcome<{ version: number }>> {
    if (groupId === DEFAULT_GROUP_ID) return { error: ErrorCode.CANNOT_REMOVE_GROUP_ZERO };
    const ownerId = this.account.id;
    return this.changeGroups<object>(async (tx) => {
      const missing = await groupMissing(tx, ownerId, groupId);
      if (missing) return missing;
      for (const record of await tx.contacts(ownerId)) {
        if (!record.groups.includes(groupId)) continue;
        await tx.saveContact(ownerId, record.contactId, { ...record, groups: withoutGroup(record.groups, groupId) });
      }
      await tx.deleteGroup(ownerId, groupId);
      return { ok: true };
    });
  }

  /** One group change: one transaction, one version step (MSNP5.md 9.29). */
  private async changeGroups<T extends object>(change: (tx: StoreTx) => Promise<Outcome<T>>): Promise<Outcome<T & { version: number }>> {
    const ownerId = this.account.id;
    const result = await this.store.transaction(async (tx): Promise<Outcome<T & { me: Account; version: number }>> => {
      await tx.lockAccounts([ownerId]);
      const outcome = await change(tx);
      if (!('ok' in outcome)) return outcome;
      const version = await tx.bumpVersion(ownerId);
      return { ...outcome, version, me: withVersion(this.account, version) };
    });
    if ('ok' in result) this.account = result.me;
    return result;
  }

  /** After an AL/BL change: what that contact, if it watches this user, may now see (MSNP5.md 10.3). */
  private async retellWatcher(entry: ContactEntry, lists: ListMembership): Promise<void> {
    if (!lists.RL || !this.present) return;
    const allowed = allows(factsFromOwnRecord(this.account.blp, { ...entry, lists }));
    await this.afterCommit(this.fanout.toOneWatcher(this.handle, this.publicShown(), entry.handle, allowed));
  }

  /** REA of the user's own name (MSNP5.md 9.10); watchers see the new name. */
  async renameSelf(name: string): Promise<{ version: number }> {
    const version = await this.store.transaction(async (tx) => {
      await tx.updateAccount(this.account.id, { friendlyName: name });
      return tx.bumpVersion(this.account.id);
    });
    const before = this.publicShown();
    this.account = { ...this.account, friendlyName: name, listVersion: version };
    const after = this.publicShown();
    if (!sameShown(before, after)) await this.afterCommit(this.tellWatchers(after));
    return { version };
  }

  /** REA of a contact: only the stored name changes (MSNP5.md 9.10). */
  async renameContact(handle: string, name: string): Promise<Outcome<{ version: number }>> {
    const ownerId = this.account.id;
    const result = await this.store.transaction(async (tx): Promise<Outcome<{ version: number }>> => {
      const contact = await tx.accountByHandle(handle);
      const record = contact && (await tx.contact(ownerId, contact.id));
      if (!record) return { error: ErrorCode.NOT_ON_LIST };
      await tx.saveContact(ownerId, record.contactId, { name, lists: record.lists, groups: record.groups });
      return { ok: true, version: await tx.bumpVersion(ownerId) };
    });
    return result;
  }

  /** GTC (MSNP5.md 9.6). */
  async setGtc(gtc: 'A' | 'N'): Promise<Outcome<{ version: number }>> {
    return this.changeSetting((a) => a.gtc === gtc, { gtc });
  }

  /** BLP (MSNP5.md 9.7): every watcher is re-evaluated. */
  async setBlp(blp: 'AL' | 'BL'): Promise<Outcome<{ version: number }>> {
    const result = await this.changeSetting((a) => a.blp === blp, { blp });
    if ('ok' in result && this.present) await this.afterCommit(this.tellWatchers(this.publicShown()));
    return result;
  }

  private async changeSetting(
    unchanged: (account: Account) => boolean,
    patch: { gtc?: 'A' | 'N'; blp?: 'AL' | 'BL' },
  ): Promise<Outcome<{ version: number }>> {
    const result = await this.store.transaction(async (tx): Promise<Outcome<{ me: Account }>> => {
      const account = await mustAccount(tx, this.account.id);
      if (unchanged(account)) return { error: ErrorCode.ALREADY_IN_MODE };
      await tx.updateAccount(account.id, patch);
      await tx.bumpVersion(account.id);
      return { ok: true, me: await mustAccount(tx, account.id) };
    });
    if (!('ok' in result)) return result;
    this.account = result.me;
    return { ok: true, version: result.me.listVersion };
  }

  /** PRP (MSNP5.md 9.14): see changePhone. Returns the stored value. */
  async setPhone(property: PhoneSetting, value: string): Promise<{ version: number; value: string }> {
    const change = await changePhone(this.store, this.bus, this.account.id, property, value);
    this.account = change.account;
    return { version: change.version, value: change.value };
  }

  /** Whether this user allows `viewer` (for switchboard invitations). */
  async allowsViewer(viewerHandle: string): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      const viewer = await tx.accountByHandle(viewerHandle);
      if (!viewer) return false;
      const record = await tx.contact(this.account.id, viewer.id);
      const account = await mustAccount(tx, this.account.id);
      return allows(factsFromOwnRecord(account.blp, record));
    });
  }

  /**
   * Telling the watchers after a committed change: the change has happened and is answered as
   * such even if the bus fails now; the bus tells every present user's watchers again when it
   * recovers (RedisBus.recover), so they catch up then.
   */
  private afterCommit(telling: Promise<void>): Promise<void> {
    return telling.catch(() => {});
  }

  private tellWatchers(shown: Shown | null): Promise<void> {
    return this.fanout.toAllWatchers(this.account.id, this.handle, this.account.blp, shown);
  }

  private publicShown(): Shown | null {
    return publicShown(this.status, this.account.friendlyName);
  }

  private async isFull(tx: StoreTx, accountId: number, list: EditableList | 'RL'): Promise<boolean> {
    const limit = list === 'FL' ? this.limits.forwardList : this.limits.otherLists;
    return (await tx.countList(accountId, list)) >= limit;
  }
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

async function mustAccount(tx: StoreTx, id: number): Promise<Account> {
  const account = await tx.accountById(id);
  if (!account) throw new Error(`account ${id} vanished during a transaction`);
  return account;
}

/**
 * The session's account after a change of its lists. Only the list version changes in such a
 * transaction, and the other fields a session uses (name, BLP) change only through the session.
 */
function withVersion(account: Account, listVersion: number): Account {
  return { ...account, listVersion };
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

function sameShown(a: Shown | null, b: Shown | null): boolean {
  if (a === null || b === null) return a === b;
  return a.status === b.status && a.name === b.name;
}
