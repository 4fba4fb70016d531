import type { Bus, GoneUser, PresenceRecord, Shown, UserEvent } from './bus.ts';
import type { Store, Watcher } from './store.ts';
import { allows, type ContactEntry, type PrivacyFacts, type Status } from './types.ts';

/** Users whose watchers PresenceFanout keeps at most (about 1 KiB each for 20 watchers: a quarter MiB in all). */
const RECENT_WATCHERS = 256;

/** Watchers read by the caller, and the store's lists version taken before that read (undefined: no proof). */
export interface KnownWatchers {
  watchers: readonly Watcher[];
  readAt: number | undefined;
}

/** What the owner is to one of its contacts, read from the owner's own record of that contact. */
export function factsFromOwnRecord(blp: 'AL' | 'BL', record: ContactEntry | undefined): PrivacyFacts {
  return { blp, viewerOnAL: record?.lists.AL ?? false, viewerOnBL: record?.lists.BL ?? false };
}

/** The presence a user shows to those allowed to see it: null when hidden or not present. */
export function publicShown(status: Status | undefined, name: string): Shown | null {
  if (status === undefined || status === 'HDN') return null;
  return { status, name };
}

/** `contacts` and the handles of the watchers not among them (in a list of mutual contacts, none). */
function withWatchers(contacts: readonly string[], watchers: readonly Watcher[]): readonly string[] {
  const known = new Set(contacts);
  const others = watchers.filter(({ handle }) => !known.has(handle)).map(({ handle }) => handle);
  return others.length === 0 ? contacts : [...contacts, ...others];
}

/**
 * Tells watchers what they may now see of a user (MSNP5.md 10.2). Each watcher's session
 * compares with what it last showed and writes NLN/FLN only on a difference.
 */
export class PresenceFanout {
  /**
   * The watchers of the last RECENT_WATCHERS users told, with the lists version they were read at,
   * for their next telling (a status change or the sign-out) while nothing wrote to the store in
   * between (Store.listsVersion), instead of a read of them then. Held here, bounded, rather than by
   * each session: an idle session keeps none.
   */
  private readonly recent = new Map<number, { readAt: number; watchers: readonly Watcher[] }>();

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
  ) {}

  /**
   * Records the user's presence and tells every watcher (everyone with the user on FL). `blp` is
   * the owner's current setting, which only the owner's own session changes.
   */
  async toAllWatchers(ownerId: number, handle: string, blp: 'AL' | 'BL', shown: Shown | null): Promise<void> {
    // Both at once (on a cluster the Redis round trip and the store read overlap).
    const [seq, watchers] = await Promise.all([this.bus.presence.set(handle, shown), this.currentWatchers(ownerId)]);
    this.publish(handle, blp, shown, seq, watchers);
  }

  /**
   * Records the user's presence: the one step the changer's CHG reply must wait for (it gives the
   * seq, and its failure means nothing changed). The function it returns reads the watchers and
   * tells them, after the reply: a read of hundreds of watchers is not on the reply's path, and the
   * seq keeps a watcher from showing an older event after a newer one. `known`: the watchers already
   * read by the caller in this command (the first CHG reads the whole list anyway); then the telling
   * happens at once, without waiting for anything.
   */
  async prepare(
    ownerId: number,
    handle: string,
    blp: 'AL' | 'BL',
    shown: Shown | null,
    known?: KnownWatchers,
  ): Promise<() => Promise<void>> {
    const seq = await this.bus.presence.set(handle, shown);
    return this.telling(ownerId, handle, blp, shown, seq, known);
  }

  /**
   * `prepare` for a session's first CHG, with its watchers read, which also reads the presence
   * records of `contacts` (its ILN batch) and of the watchers in the same step on the bus, just
   * before the recording. Only the watchers with a record are told: one without has made no first
   * CHG yet (or is not signed in), and its first CHG reads this user's record, made in this step
   * (the bus runs such steps one after another), so it needs no event. On a cluster that spares a
   * route lookup in Redis for every watcher offline, and the call itself when none is online.
   */
  async prepareReading(
    ownerId: number,
    handle: string,
    blp: 'AL' | 'BL',
    shown: Shown | null,
    known: KnownWatchers,
    contacts: readonly string[],
  ): Promise<{ tell: () => Promise<void>; records: Map<string, PresenceRecord> }> {
    const { records, seq } = await this.bus.presence.getAndSet(withWatchers(contacts, known.watchers), handle, shown);
    if (known.readAt !== undefined) this.remember(ownerId, known.readAt, known.watchers);
    const recorded = known.watchers.filter((watcher) => records.has(watcher.handle));
    return { tell: async () => this.publish(handle, blp, shown, seq, recorded), records };
  }

  private telling(ownerId: number, handle: string, blp: 'AL' | 'BL', shown: Shown | null, seq: number, known?: KnownWatchers) {
    if (known?.readAt !== undefined) this.remember(ownerId, known.readAt, known.watchers);
    return async () => this.publish(handle, blp, shown, seq, known?.watchers ?? (await this.currentWatchers(ownerId)));
  }

  /** The handles of the user's watchers, to tell of its sign-out (Bus.leave): those kept, if still current. */
  async watcherHandles(ownerId: number): Promise<string[]> {
    const kept = this.keptWatchers(ownerId, this.store.listsVersion());
    // The last telling: nothing is kept for the next one.
    this.recent.delete(ownerId);
    const watchers = kept ?? (await this.watchersOf(ownerId));
    return watchers.map((watcher) => watcher.handle);
  }

  /**
   * The user's watchers: those kept, if reading them again now would give the same, else read now
   * and kept (with the lists version taken before the read: a write during it makes them stale).
   */
  private async currentWatchers(ownerId: number): Promise<readonly Watcher[]> {
    const version = this.store.listsVersion();
    const kept = this.keptWatchers(ownerId, version);
    if (kept) {
      this.remember(ownerId, version!, kept);
      return kept;
    }
    const watchers = await this.watchersOf(ownerId);
    if (version !== undefined) this.remember(ownerId, version, watchers);
    return watchers;
  }

  private watchersOf(ownerId: number): Promise<Watcher[]> {
    return this.store.read((tx) => tx.watchers(ownerId));
  }

  /** Keeps a user's watchers as read when the store's lists version was `readAt` (the oldest go first). */
  private remember(ownerId: number, readAt: number, watchers: readonly Watcher[]): void {
    this.recent.delete(ownerId);
    if (this.recent.size >= RECENT_WATCHERS) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(ownerId, { readAt, watchers });
  }

  /** The user's watchers kept by `remember`, if reading them again at lists version `version` would give the same. */
  private keptWatchers(ownerId: number, version: number | undefined): readonly Watcher[] | undefined {
    const kept = this.recent.get(ownerId);
    return kept && kept.readAt === version ? kept.watchers : undefined;
  }

  private publish(handle: string, blp: 'AL' | 'BL', shown: Shown | null, seq: number, watchers: readonly Watcher[]): void {
    // One event per visibility, shared by the watchers it goes to (a session may keep it).
    const visible: UserEvent = { kind: 'presence', contact: handle, seq, shown };
    const hidden: UserEvent = shown === null ? visible : { kind: 'presence', contact: handle, seq, shown: null };
    for (const watcher of watchers) {
      const allowed = allows({ blp, viewerOnAL: watcher.onAL, viewerOnBL: watcher.onBL });
      this.bus.routes.publish(watcher.handle, allowed ? visible : hidden);
    }
  }

  /** Re-tells one watcher after the owner changed what that watcher is allowed. */
  async toOneWatcher(handle: string, shown: Shown | null, watcher: string, allowed: boolean): Promise<void> {
    const seq = await this.bus.presence.set(handle, shown);
    this.bus.routes.publish(watcher, { kind: 'presence', contact: handle, seq, shown: allowed ? shown : null });
  }

  /**
   * A user whose node stopped without signing it out, already recorded offline by the bus: every
   * watcher is told, and shows FLN if it showed the user online (MSNP5.md 10.2, 10.6).
   */
  async toWatchersOfGone({ handle, seq }: GoneUser): Promise<void> {
    const account = await this.store.findAccount(handle);
    if (!account) return;
    const watchers = await this.store.read((tx) => tx.watchers(account.id));
    for (const watcher of watchers) this.bus.routes.publish(watcher.handle, { kind: 'presence', contact: handle, seq, shown: null });
  }
}
