// A session's presence side (MSNP5.md 9.11–9.13, 10): its own status, what it is shown of its
// contacts, and whether it allows a viewer.
import type { Shown, UserEvent } from './bus.ts';
import { factsFromOwnRecord, publicShown } from './presence.ts';
import { mustAccount, sameShown, type SessionState, type ShownMemory } from './session-state.ts';
import { allows, type Status } from './types.ts';

export interface InitialPresence {
  handle: string;
  shown: Shown;
}

/** A contact's presence event: what to show now (`undefined` when nothing changed). */
export function presenceUpdate(s: SessionState, event: Extract<UserEvent, { kind: 'presence' }>): Shown | null | undefined {
  if (!s.present || !s.shownToMe.has(event.contact)) return undefined;
  const last = s.shownToMe.get(event.contact);
  if (last && last.seq >= event.seq) return undefined;
  s.shownToMe.set(event.contact, { seq: event.seq, shown: event.shown });
  return sameShown(last?.shown ?? null, event.shown) ? undefined : event.shown;
}

/**
 * CHG (MSNP5.md 9.11, 10). Returns the ILN batch when this is the session's first CHG. When it
 * throws (the store or the bus failed), the session keeps its old status and the bus record is
 * put back as well as it can be: an error answer means nothing happened.
 */
export async function changeStatus(s: SessionState, status: Status): Promise<{ initial?: InitialPresence[] }> {
  const first = !s.present;
  const before = s.publicShown();
  const after = publicShown(status, s.account.friendlyName);
  // The ILN batch is read before anything is recorded, so that a failure to read it changes nothing.
  const initial = first ? await initialPresence(s) : undefined;
  if (first || !sameShown(before, after)) {
    try {
      await s.tellWatchers(after);
    } catch (error) {
      // The record may have changed before the failure; the bus records it again when it recovers.
      await s.bus.presence.set(s.handle, before).catch(() => {});
      throw error;
    }
  }
  s.status = status;
  if (!initial) return {};
  for (const [handle, memory] of initial.memory) s.shownToMe.set(handle, memory);
  return { initial: initial.shown };
}

/** The ILN batch: every FL contact that is visible and allows this user (MSNP5.md 9.12), and what it showed of each. */
async function initialPresence(s: SessionState): Promise<{ shown: InitialPresence[]; memory: Map<string, ShownMemory> }> {
  const contacts = (await s.store.read((tx) => tx.contactsWithFacts(s.account.id))).filter((c) => c.lists.FL);
  const records = await s.bus.presence.get(contacts.map((c) => c.handle));
  const initial: InitialPresence[] = [];
  const memory = new Map<string, ShownMemory>();
  for (const contact of contacts) {
    const record = records.get(contact.handle);
    const shown = record?.shown && allows(contact.facts) ? record.shown : null;
    memory.set(contact.handle, { seq: record?.seq ?? 0, shown });
    if (shown) initial.push({ handle: contact.handle, shown });
  }
  return { shown: initial, memory };
}

/** Records and tells this user's presence again, with a new seq (the bus lost the old record). */
export async function republishPresence(s: SessionState): Promise<void> {
  if (s.present) await s.tellWatchers(s.publicShown());
}

/** Signs the user out: watchers are told it is offline (MSNP5.md 10.6). */
export async function signOut(s: SessionState): Promise<void> {
  if (s.present && publicShown(s.status, s.account.friendlyName)) {
    s.status = undefined;
    await s.tellWatchers(null);
  } else if (s.present) {
    s.status = undefined;
    await s.bus.presence.set(s.handle, null);
  }
}

/** Whether this user allows `viewer` (for switchboard invitations). */
export async function allowsViewer(s: SessionState, viewerHandle: string): Promise<boolean> {
  return s.store.transaction(async (tx) => {
    const viewer = await tx.accountByHandle(viewerHandle);
    if (!viewer) return false;
    const record = await tx.contact(s.account.id, viewer.id);
    const account = await mustAccount(tx, s.account.id);
    return allows(factsFromOwnRecord(account.blp, record));
  });
}
