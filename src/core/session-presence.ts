// A session's presence side (MSNP5.md 9.11–9.13, 10): its own status, what it is shown of its
// contacts, and whether it allows a viewer.
import type { OfflineNotice, PresenceRecord, Shown, UserEvent } from './bus.ts';
import { factsFromOwnRecord, publicShown } from './presence.ts';
import { type FactsAtSync, mustAccount, sameShown, type SessionState, type ShownMemory, unchangedSince } from './session-state.ts';
import { NEVER_SHOWN } from './shown-memories.ts';
import type { ContactWithFacts, Watcher } from './store.ts';
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
  // The event is shared by the watchers it went to and never changed: kept as it is, not copied.
  s.shownToMe.set(event.contact, event);
  return sameShown(last?.shown ?? null, event.shown) ? undefined : event.shown;
}

/** What a CHG did: the ILN batch of the first CHG, and the telling of the watchers, left to the caller. */
export interface StatusChange {
  initial?: InitialPresence[];
  /**
   * Tells the watchers; called after the changer's own reply, which thus goes out first. It rejects
   * when the watchers could not be read: the change has happened all the same (the reply said so),
   * and the watchers are told at the session's next CHG, even one to the same status.
   */
  announce(): Promise<void>;
}

const NOTHING_TO_ANNOUNCE = async (): Promise<void> => {};

/**
 * CHG (MSNP5.md 9.11, 10). Returns the ILN batch when this is the session's first CHG. When it
 * throws (the store or the bus failed), the session keeps its old status and the bus record is
 * put back as well as it can be: an error answer means nothing happened. Only the presence record
 * (and on the first CHG the ILN batch's read) precedes the reply; `announce` reads the watchers.
 */
export async function changeStatus(s: SessionState, status: Status): Promise<StatusChange> {
  if (!s.present) return firstStatus(s, status);
  const before = s.publicShown();
  const after = publicShown(status, s.account.friendlyName);
  let announce = NOTHING_TO_ANNOUNCE;
  if (s.watchersBehind || !sameShown(before, after)) {
    const tell = await recordingOrPuttingBack(s, before, () => s.prepareTelling(after));
    announce = () => tellOrFallBehind(s, tell);
  }
  s.status = status;
  return { announce };
}

/**
 * The first CHG: the contacts and watchers are read from the store before anything is recorded,
 * so that a failure to read them changes nothing; then the contacts' presence records are read in
 * the step that records this user's (one round trip to a cluster's Redis).
 */
async function firstStatus(s: SessionState, status: Status): Promise<StatusChange> {
  const after = publicShown(status, s.account.friendlyName);
  const facts = await listFacts(s);
  const { tell, records } = await recordingOrPuttingBack(s, null, () =>
    s.prepareFirstTelling(after, { watchers: facts.watchers, readAt: facts.readAt }, facts.handles),
  );
  s.status = status;
  const initial = initialPresence(facts, records);
  s.shownToMe.replaceAll(facts.handles, initial.memories);
  return { initial: initial.shown, announce: () => tellOrFallBehind(s, tell) };
}

/** Runs a step that records the presence; if it fails, the record is put back to `before` as well as it can be. */
async function recordingOrPuttingBack<T>(s: SessionState, before: Shown | null, record: () => Promise<T>): Promise<T> {
  try {
    return await record();
  } catch (error) {
    // The record may have changed before the failure; the bus records it again when it recovers.
    await s.bus.presence.set(s.handle, before).catch(() => {});
    throw error;
  }
}

/**
 * Runs a CHG's telling, and remembers its failure for the next CHG. A telling told twice is no harm:
 * each watcher writes a line only when what it shows changes.
 */
function tellOrFallBehind(s: SessionState, tell: () => Promise<void>): Promise<void> {
  s.watchersBehind = false;
  return tell().catch((error: unknown) => {
    s.watchersBehind = true;
    throw error;
  });
}

/** What the first CHG derives from the user's lists: its FL contacts and the watchers (RL) to tell. */
interface ListFacts {
  contacts: ContactWithFacts[];
  handles: string[];
  watchers: Watcher[];
  /** The store's lists version taken before the read (undefined: no proof, Store.listsVersion). */
  readAt: number | undefined;
}

async function listFacts(s: SessionState): Promise<ListFacts> {
  s.accountAtLogin = undefined;
  const read = factsKeptSinceSync(s) ?? (await readFacts(s));
  const all = read.contacts;
  const contacts = all.filter((c) => c.lists.FL);
  const watchers = all.filter((c) => c.lists.RL).map((c) => ({ handle: c.handle, onAL: c.lists.AL, onBL: c.lists.BL }));
  return { contacts, handles: contacts.map((c) => c.handle), watchers, readAt: read.version };
}

/**
 * The ILN batch: every FL contact that is visible and allows this user (MSNP5.md 9.12), and what
 * this session now shows of each.
 */
function initialPresence(
  facts: ListFacts,
  records: ReadonlyMap<string, PresenceRecord>,
): { shown: InitialPresence[]; memories: ShownMemory[] } {
  const initial: InitialPresence[] = [];
  const memories = facts.contacts.map((contact): ShownMemory => {
    const record = records.get(contact.handle);
    const shown = record?.shown && allows(contact.facts) ? record.shown : null;
    if (shown) initial.push({ handle: contact.handle, shown });
    // A record shown as it is, is kept as it is (records are replaced, never changed).
    if (!record) return NEVER_SHOWN;
    return shown === record.shown ? record : { seq: record.seq, shown };
  });
  return { shown: initial, memories };
}

/** The contacts with their facts, and the store's lists version taken before the read (Store.listsVersion). */
async function readFacts(s: SessionState): Promise<{ version: number | undefined; contacts: readonly ContactWithFacts[] }> {
  const version = s.store.listsVersion();
  return { version, contacts: await s.store.read((tx) => tx.contactsWithFacts(s.account.id)) };
}

/**
 * SYN's read of the contacts with their facts, if reading them again now would give the same. What
 * the ILN batch and the watchers derive from: this user's lists and their AL/BL bits, each contact's
 * BLP, and each contact's AL/BL bits of this user. Other users change the last two at any time (BLP,
 * ADD and REM of this user on their AL/BL), and while this session is not yet present it is told
 * nothing of it (presenceUpdate), so a stale read would show a contact that now blocks this user, or
 * hide one that now allows it. Hence no time-based cache: the read is reused only when the store's
 * lists version, taken before SYN's read, is unchanged, i.e. no write that might change any list or
 * BLP, of any account, by any process, happened since (Store.listsVersion; PostgreSQL never proves
 * it). Taken once: a later CHG is not a first one.
 */
function factsKeptSinceSync(s: SessionState): FactsAtSync | undefined {
  const kept = s.factsAtSync;
  s.factsAtSync = undefined;
  return unchangedSince(kept, s.store);
}

/** Records and tells this user's presence again, with a new seq (the bus lost the old record). */
export async function republishPresence(s: SessionState): Promise<void> {
  if (s.present) await s.tellWatchers(s.publicShown());
}

/**
 * Signs the user out and the session off the bus, in one step there (Bus.leave): watchers are told
 * it is offline (MSNP5.md 10.6), unless it was not present or `keepPresence` (a newer session
 * elsewhere owns the presence). If the watchers cannot be read, the presence is still recorded
 * offline and the session forgotten, and then the read's error is thrown.
 */
export async function signOut(s: SessionState, sessionId: string, options: SignOutOptions = {}): Promise<void> {
  let offline: OfflineNotice | undefined;
  let unread: { error: unknown } | undefined;
  if (s.present && !options.keepPresence) {
    // Hidden: its watchers see it offline already; only the record changes.
    const told = publicShown(s.status, s.account.friendlyName) !== null;
    s.status = undefined;
    const watchers = told
      ? await s.watcherHandles().catch((error: unknown) => {
          unread = { error };
          return [];
        })
      : [];
    offline = { watchers };
  }
  await s.bus.leave(s.handle, sessionId, options.mspAuth, offline);
  if (unread) throw unread.error;
}

export interface SignOutOptions {
  /** The session's web sign-in, forgotten with it. */
  mspAuth?: string;
  /** The presence belongs to a newer session (kicked with OTH by one elsewhere): leave it alone. */
  keepPresence?: boolean;
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
