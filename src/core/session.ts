// One signed-in user as core sees it. The command families live beside it: session-presence.ts,
// session-lists.ts, session-groups.ts and session-settings.ts, over the state in session-state.ts.
import type { Outcome } from './failure.ts';
import type { Bus, Shown, UserEvent } from './bus.ts';
import type { ListLimits } from './limits.ts';
import type { PhoneSetting } from './phones.ts';
import { addGroup, listGroups, removeGroup, renameGroup } from './session-groups.ts';
import { type AddResult, addContact, removeContact, renameContact, type SyncSnapshot, snapshot } from './session-lists.ts';
import {
  allowsViewer,
  changeStatus,
  type InitialPresence,
  presenceUpdate,
  republishPresence,
  type StatusChange,
  signOut,
  type SignOutOptions,
} from './session-presence.ts';
import { renameSelf, setBlp, setGtc, setPhone, takeName } from './session-settings.ts';
import { SessionState } from './session-state.ts';
import type { Store } from './store.ts';
import type { Account, ContactGroup, EditableList, Status } from './types.ts';

export { type AddResult, phonesAsSeen, type SyncEntry, type SyncSnapshot } from './session-lists.ts';
export type { InitialPresence, StatusChange } from './session-presence.ts';

/**
 * One signed-in user as core sees it: the user's lists and presence, and what this session has
 * last been shown of each contact. Commands reach it one at a time, in order.
 */
export class UserSession {
  private readonly state: SessionState;

  private constructor(account: Account, store: Store, bus: Bus, limits: ListLimits) {
    this.state = new SessionState(account, store, bus, limits);
  }

  /**
   * The session becomes present with its first status change. `readAt`: the store's lists version
   * taken before `account` was read, which lets the first SYN do without reading it again.
   */
  static async open(account: Account, store: Store, bus: Bus, limits: ListLimits, readAt?: number): Promise<UserSession> {
    const session = new UserSession(account, store, bus, limits);
    if (readAt !== undefined) session.state.accountAtLogin = { version: readAt, account };
    return session;
  }

  get handle(): string {
    return this.state.account.handle;
  }

  get friendlyName(): string {
    return this.state.account.friendlyName;
  }

  get accountId(): number {
    return this.state.account.id;
  }

  get present(): boolean {
    return this.state.present;
  }

  get currentStatus(): Status | undefined {
    return this.state.status;
  }

  /** A contact's presence event: what to show now (`undefined` when nothing changed). */
  presenceUpdate(event: Extract<UserEvent, { kind: 'presence' }>): Shown | null | undefined {
    return presenceUpdate(this.state, event);
  }

  /** CHG (MSNP5.md 9.11, 10): the ILN batch on the first CHG; the watchers are told before it returns. */
  async changeStatus(status: Status): Promise<{ initial?: InitialPresence[] }> {
    const { initial, announce } = await changeStatus(this.state, status);
    await this.state.afterCommit(announce());
    return initial ? { initial } : {};
  }

  /** CHG as the NS answers it: the same, but the caller tells the watchers (`announce`) after its reply. */
  prepareStatus(status: Status): Promise<StatusChange> {
    return changeStatus(this.state, status);
  }

  /** Records and tells this user's presence again, with a new seq (the bus lost the old record). */
  republishPresence(): Promise<void> {
    return republishPresence(this.state);
  }

  /** Signs the user out and session `sessionId` off the bus: watchers are told it is offline (MSNP5.md 10.6). */
  signOut(sessionId: string, options?: SignOutOptions): Promise<void> {
    return signOut(this.state, sessionId, options);
  }

  /** SYN and LST (MSNP5.md 9.4): one consistent snapshot of the account and its lists. */
  snapshot(want: { phones: boolean; groups: boolean }): Promise<SyncSnapshot> {
    return snapshot(this.state, want);
  }

  /** ADD (MSNP5.md 9.8), from check 5 on; `group` is MSNP7's, FL only. */
  add(list: EditableList, handle: string, name: string, group?: number): Promise<Outcome<AddResult>> {
    return addContact(this.state, list, handle, name, group);
  }

  /** REM (MSNP5.md 9.9); `group` (MSNP7, FL only) removes only that membership. */
  remove(list: EditableList, handle: string, group?: number): Promise<Outcome<{ version: number }>> {
    return removeContact(this.state, list, handle, group);
  }

  /** LSG (MSNP5.md 9.29): the groups at the current list version. */
  groups(): Promise<{ version: number; groups: ContactGroup[] }> {
    return listGroups(this.state);
  }

  /** ADG (MSNP5.md 9.29): the new group gets the lowest free id; 223 when all 30 exist. */
  addGroup(name: string): Promise<Outcome<{ version: number; groupId: number }>> {
    return addGroup(this.state, name);
  }

  /** REG (MSNP5.md 9.29); group 0 may be renamed too. */
  renameGroup(groupId: number, name: string): Promise<Outcome<{ version: number }>> {
    return renameGroup(this.state, groupId, name);
  }

  /** RMG (MSNP5.md 9.29): members leave the group; those in no other group move to group 0 (D-11). */
  removeGroup(groupId: number): Promise<Outcome<{ version: number }>> {
    return removeGroup(this.state, groupId);
  }

  /** REA of the user's own name (MSNP5.md 9.10); watchers see the new name. */
  renameSelf(name: string): Promise<{ version: number }> {
    return renameSelf(this.state, name);
  }

  /** An operator renamed the account: the session takes the new name (watchers are told). */
  takeName(name: string, version: number): Promise<void> {
    return takeName(this.state, name, version);
  }

  /**
   * A contact left the user's FL outside this session (its account was deleted): forgets it, and
   * says whether it was shown online, so that the client is told FLN first (MSNP5.md 10.6).
   */
  forgetContact(handle: string): boolean {
    const shown = this.state.shownToMe.get(handle)?.shown ?? null;
    this.state.shownToMe.delete(handle);
    return this.state.present && shown !== null;
  }

  /** REA of a contact: only the stored name changes (MSNP5.md 9.10). */
  renameContact(handle: string, name: string): Promise<Outcome<{ version: number }>> {
    return renameContact(this.state, handle, name);
  }

  /** GTC (MSNP5.md 9.6). */
  setGtc(gtc: 'A' | 'N'): Promise<Outcome<{ version: number }>> {
    return setGtc(this.state, gtc);
  }

  /** BLP (MSNP5.md 9.7): every watcher is re-evaluated. */
  setBlp(blp: 'AL' | 'BL'): Promise<Outcome<{ version: number }>> {
    return setBlp(this.state, blp);
  }

  /** PRP (MSNP5.md 9.14): see changePhone. Returns the stored value. */
  setPhone(property: PhoneSetting, value: string): Promise<{ version: number; value: string }> {
    return setPhone(this.state, property, value);
  }

  /** Whether this user allows `viewer` (for switchboard invitations). */
  allowsViewer(viewerHandle: string): Promise<boolean> {
    return allowsViewer(this.state, viewerHandle);
  }
}
