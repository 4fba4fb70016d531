// What one signed-in user's session holds (its account, status and what it was last shown), shared
// by the command families of UserSession: presence, lists, groups and settings.
import type { Bus, Shown } from './bus.ts';
import type { ListLimits } from './limits.ts';
import { type KnownWatchers, PresenceFanout, publicShown } from './presence.ts';
import { sharedString } from './shared-strings.ts';
import { ShownMemories } from './shown-memories.ts';
import type { ContactWithFacts, Store, StoreTx } from './store.ts';
import type { Account, Status } from './types.ts';

export type { ShownMemory } from './shown-memories.ts';

/** What a session keeps of its account: the fields its commands read (a command that needs more reads the store). */
export type SessionAccount = Pick<Account, 'id' | 'handle' | 'friendlyName' | 'listVersion' | 'blp'>;

/** A copy with only those fields (the phones and the profile took a third of a kilobyte per session), its strings shared. */
function kept(account: SessionAccount): SessionAccount {
  const { id, handle, friendlyName, listVersion, blp } = account;
  return { id, handle: sharedString(handle), friendlyName, listVersion, blp: blp === 'BL' ? 'BL' : 'AL' };
}

/** SYN's read of the contacts with their facts, and the store's lists version taken before it. */
export interface FactsAtSync {
  version: number;
  contacts: readonly ContactWithFacts[];
}

/**
 * A reading kept with the store's lists version taken before it: what a read now would give only
 * while that version has not moved (Store.listsVersion; PostgreSQL never proves it).
 */
export function unchangedSince<Kept extends { version: number }>(kept: Kept | undefined, store: Store): Kept | undefined {
  return kept && kept.version === store.listsVersion() ? kept : undefined;
}

/** The state of one UserSession; only the session-*.ts modules touch it, one command at a time. */
export class SessionState {
  status: Status | undefined;
  private keptAccount: SessionAccount;
  /**
   * While present: every FL contact and what this session last showed of it (with the presence
   * sequence number it came with). Only handles and presence are kept, to keep an idle session small.
   */
  readonly shownToMe = new ShownMemories();
  /** From a SYN until the first CHG, which takes it (session-presence.ts initialPresence). */
  factsAtSync: FactsAtSync | undefined;
  /** The login's read of the whole account, until the first SYN takes it or the first CHG drops it. */
  accountAtLogin: { version: number; account: Account } | undefined;
  readonly fanout: PresenceFanout;
  /** A CHG's watchers were not told (their read failed after the reply): the next CHG tells them even if unchanged. */
  watchersBehind = false;

  constructor(
    account: SessionAccount,
    readonly store: Store,
    readonly bus: Bus,
    readonly limits: ListLimits,
  ) {
    this.keptAccount = kept(account);
    this.fanout = fanoutOf(store, bus);
  }

  get account(): SessionAccount {
    return this.keptAccount;
  }

  set account(account: SessionAccount) {
    this.keptAccount = kept(account);
  }

  get handle(): string {
    return this.account.handle;
  }

  get present(): boolean {
    return this.status !== undefined;
  }

  /**
   * Telling the watchers after a committed change: the change has happened and is answered as
   * such even if the bus fails now; the bus tells every present user's watchers again when it
   * recovers (RedisBus.recover), so they catch up then.
   */
  afterCommit(telling: Promise<void>): Promise<void> {
    return telling.catch(() => {});
  }

  tellWatchers(shown: Shown | null): Promise<void> {
    return this.fanout.toAllWatchers(this.account.id, this.handle, this.account.blp, shown);
  }

  /** Everyone to tell when this user signs out (PresenceFanout.watcherHandles). */
  watcherHandles(): Promise<string[]> {
    return this.fanout.watcherHandles(this.account.id);
  }

  /** Records the presence; the function returned reads the watchers and tells them (PresenceFanout.prepare). */
  prepareTelling(shown: Shown | null, known?: KnownWatchers): Promise<() => Promise<void>> {
    return this.fanout.prepare(this.account.id, this.handle, this.account.blp, shown, known);
  }

  /** prepareTelling for the first CHG, reading the ILN batch's records too (PresenceFanout.prepareReading). */
  prepareFirstTelling(shown: Shown | null, known: KnownWatchers, contacts: readonly string[]) {
    return this.fanout.prepareReading(this.account.id, this.handle, this.account.blp, shown, known, contacts);
  }

  publicShown(): Shown | null {
    return publicShown(this.status, this.account.friendlyName);
  }
}

const fanouts = new WeakMap<Store, WeakMap<Bus, PresenceFanout>>();

/** One PresenceFanout per store and bus, shared by the sessions (it holds nothing of its own). */
function fanoutOf(store: Store, bus: Bus): PresenceFanout {
  let byBus = fanouts.get(store);
  if (!byBus) fanouts.set(store, (byBus = new WeakMap()));
  let fanout = byBus.get(bus);
  if (!fanout) byBus.set(bus, (fanout = new PresenceFanout(store, bus)));
  return fanout;
}

export async function mustAccount(tx: StoreTx, id: number): Promise<Account> {
  const account = await tx.accountById(id);
  if (!account) throw new Error(`account ${id} vanished during a transaction`);
  return account;
}

/**
 * The session's account after a change of its lists. Only the list version changes in such a
 * transaction, and the other fields a session uses (name, BLP) change only through the session.
 */
export function withVersion(account: SessionAccount, listVersion: number): SessionAccount {
  return { ...account, listVersion };
}

export function sameShown(a: Shown | null, b: Shown | null): boolean {
  if (a === null || b === null) return a === b;
  return a.status === b.status && a.name === b.name;
}
