// Phone numbers and the mobile flags (MSNP5.md 8.1, 9.14, 9.15): one place for PRP and the web's
// mobile pages, so that a change from either reaches watchers as the same BPR.
import type { Bus } from './bus.ts';
import { factsFromOwnRecord } from './presence.ts';
import type { Store, StoreTx } from './store.ts';
import { allows, type Account, type ContactEntry, type PhoneProperty, type YesNo } from './types.ts';

export type PhoneSetting = PhoneProperty | 'MOB';

export interface PhoneChange {
  /** The owner's new list version. */
  version: number;
  /** The value as stored (MOB Y may become N). */
  value: string;
  account: Account;
}

interface Watcher {
  handle: string;
  version: number;
  allowed: boolean;
}

/**
 * PRP (MSNP5.md 9.14): stores the property (an encoded phone number, '' to clear, or Y/N for MOB),
 * bumps the owner's version and every watcher's, and sends each watcher a BPR with the value it may
 * see (D-10: blocked watchers get the line without the number).
 */
export async function changePhone(store: Store, bus: Bus, accountId: number, property: PhoneSetting, value: string): Promise<PhoneChange> {
  const outcome = await withWatchersLocked(store, accountId, async (tx, records) => {
    // Read once the account is locked: an MBE turned off meanwhile (setMobileEnabled, another
    // connection on PostgreSQL) is seen, and MOB Y is not stored beside MBE N.
    const account = await mustAccount(tx, accountId);
    // MOB Y without MBE Y is stored as N (MSNP5.md 9.14, NINA Setting Details).
    const stored = property === 'MOB' && account.phones.MBE !== 'Y' ? 'N' : value;
    const watchers = await storeAndBump(tx, account, records, { [property]: stored });
    return { version: watchers.version, stored, watchers: watchers.list, me: await mustAccount(tx, accountId) };
  });
  tellWatchers(bus, outcome.me.handle, outcome.watchers, property, outcome.stored);
  return { version: outcome.version, value: outcome.stored, account: outcome.me };
}

/**
 * Turns MSN Mobile (MBE, server-controlled: MSNP5.md 8.1, 9.14) on or off. Only the owner's version
 * changes (watchers do not see MBE, 9.15); turning it off also stores MOB N, which watchers do see.
 */
export async function setMobileEnabled(store: Store, bus: Bus, accountId: number, enabled: boolean): Promise<Account> {
  const mbe: YesNo = enabled ? 'Y' : 'N';
  const account = await store.transaction(async (tx) => {
    await tx.updateAccount(accountId, { phones: { MBE: mbe } });
    await tx.bumpVersion(accountId);
    return mustAccount(tx, accountId);
  });
  if (enabled || account.phones.MOB === 'N') return account;
  return (await changePhone(store, bus, accountId, 'MOB', 'N')).account;
}

/** Tries of a transaction that found new watchers after its locks (see lockWithWatchers). */
const WATCHER_LOCK_TRIES = 3;

/** Thrown inside the transaction to roll it back and try again with the new watchers locked in order. */
class NewWatchers extends Error {}

/** Runs `fn` in a transaction holding the locks of the owner and of its watchers (lockWithWatchers). */
async function withWatchersLocked<T>(store: Store, ownerId: number, fn: (tx: StoreTx, records: ContactEntry[]) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await store.transaction(async (tx) => fn(tx, await lockWithWatchers(tx, ownerId, tries < WATCHER_LOCK_TRIES)));
    } catch (err) {
      if (!(err instanceof NewWatchers)) throw err;
    }
  }
}

/**
 * The owner's RL records, with the owner's and those watchers' accounts locked (in id order, as
 * every transaction that locks several accounts does). The records are read again once the locks
 * are held: a contact whose ADD of the owner committed while this waited (an ADD holds both
 * accounts' locks, list-edits.ts) is a watcher too, and must get its BPR and its version bump. Such
 * a newcomer's lock was not taken in order: the transaction is rolled back and tried again with it
 * among the others (`retry`); on the last try it is locked after them, which deadlocks only with a
 * transaction that took the newcomer's lock since its ADD and now waits for one of ours (PostgreSQL
 * then fails one of the two: error 500). With the owner locked no further newcomer can come.
 */
async function lockWithWatchers(tx: StoreTx, ownerId: number, retry: boolean): Promise<ContactEntry[]> {
  const known = await watcherRecords(tx, ownerId);
  await tx.lockAccounts([ownerId, ...known.map((r) => r.contactId)]);
  const records = await watcherRecords(tx, ownerId);
  const knownIds = new Set(known.map((r) => r.contactId));
  const newcomers = records.filter((r) => !knownIds.has(r.contactId));
  if (newcomers.length > 0) {
    if (retry) throw new NewWatchers();
    await tx.lockAccounts(newcomers.map((r) => r.contactId));
  }
  return records;
}

async function watcherRecords(tx: StoreTx, ownerId: number): Promise<ContactEntry[]> {
  return (await tx.contacts(ownerId)).filter((r) => r.lists.RL);
}

async function storeAndBump(
  tx: StoreTx,
  account: Account,
  records: readonly ContactEntry[],
  phones: Partial<Account['phones']>,
): Promise<{ version: number; list: Watcher[] }> {
  await tx.updateAccount(account.id, { phones });
  const version = await tx.bumpVersion(account.id);
  const list: Watcher[] = [];
  for (const record of records) {
    const allowed = allows(factsFromOwnRecord(account.blp, record));
    list.push({ handle: record.handle, version: await tx.bumpVersion(record.contactId), allowed });
  }
  return { version, list };
}

function tellWatchers(bus: Bus, owner: string, watchers: Watcher[], property: PhoneSetting, value: string): void {
  const hidden = property === 'MOB' ? 'N' : '';
  for (const watcher of watchers) {
    bus.routes.publish(watcher.handle, {
      kind: 'phone',
      version: watcher.version,
      contact: owner,
      property,
      value: watcher.allowed ? value : hidden,
    });
  }
}

async function mustAccount(tx: StoreTx, id: number): Promise<Account> {
  const account = await tx.accountById(id);
  if (!account) throw new Error(`account ${id} vanished during a transaction`);
  return account;
}
