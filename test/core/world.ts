// The world core's unit tests run in: a real SQLite store in a temporary directory and the real
// in-process bus, with a recording stand-in for the NS connection on the bus side. No sockets.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { IncomingPage, Invitation, SessionEndpoint, UserEvent } from '../../src/core/bus.ts';
import { DEFAULT_LIST_LIMITS, type ListLimits } from '../../src/core/limits.ts';
import { UserSession } from '../../src/core/session.ts';
import type { AccountPatch, Store } from '../../src/core/store.ts';
import type { Account, ContactEntry } from '../../src/core/types.ts';
import { openSqliteStore, SQLITE_FILE } from '../../src/store/sqlite.ts';

/** The password of every account a test makes. */
export const PASSWORD = 'secret123';

/** A RAM disk when there is one: SQLite's fsyncs cost nothing there, and these stores are thrown away. */
function scratchRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

let sessions = 0;

/**
 * The bus side of one signed-in user, as the NS connection is (server/ns/session.ts), minus the
 * socket: it records every event, and turns presence events into what the user is shown through
 * its UserSession exactly as the NS does, written as the NLN/FLN line would say it (MSNP5.md 9.13).
 */
export class RecordingEndpoint implements SessionEndpoint {
  readonly sessionId = `test.${++sessions}`;
  readonly events: UserEvent[] = [];
  readonly shown: string[] = [];
  readonly kicks: ('OTH' | 'SSD')[] = [];
  readonly pages: IncomingPage[] = [];
  /** Whether page() takes a page (a present MSNP6+ session that is not hidden; MSNP5.md 9.28). */
  acceptsPages = false;
  user: UserSession | undefined;

  deliver(event: UserEvent): void {
    this.events.push(event);
    if (event.kind !== 'presence' || !this.user) return;
    const shown = this.user.presenceUpdate(event);
    if (shown === null) this.shown.push(`FLN ${event.contact}`);
    else if (shown) this.shown.push(`NLN ${shown.status} ${event.contact} ${shown.name}`);
  }

  async ring(_invitation: Invitation): Promise<boolean> {
    return false;
  }

  async page(page: IncomingPage): Promise<boolean> {
    if (!this.acceptsPages) return false;
    this.pages.push(page);
    return true;
  }

  async kick(reason: 'OTH' | 'SSD'): Promise<void> {
    this.kicks.push(reason);
    await this.user?.signOut(this.sessionId);
  }

  async republishPresence(): Promise<void> {
    await this.user?.republishPresence();
  }

  /** The events of one kind delivered so far, and forgets every event and line recorded. */
  take<K extends UserEvent['kind']>(kind: K): Extract<UserEvent, { kind: K }>[] {
    const taken = this.events.filter((e): e is Extract<UserEvent, { kind: K }> => e.kind === kind);
    this.clear();
    return taken;
  }

  /** The NLN/FLN lines shown so far, and forgets every event and line recorded. */
  takeShown(): string[] {
    const taken = [...this.shown];
    this.clear();
    return taken;
  }

  clear(): void {
    this.events.length = 0;
    this.shown.length = 0;
  }
}

export interface SignedIn {
  user: UserSession;
  endpoint: RecordingEndpoint;
}

let serial = 0;

export class World {
  private constructor(
    readonly store: Store,
    readonly bus: MemoryBus,
    private readonly dir: string,
    private readonly raw: BetterSqlite3.Database,
  ) {}

  static async open(): Promise<World> {
    const dir = await mkdtemp(join(scratchRoot(), 'msnd-core-'));
    const store = await openSqliteStore({ dataDir: dir, secretKey: randomBytes(32) });
    const raw = new BetterSqlite3(join(dir, SQLITE_FILE));
    raw.pragma('busy_timeout = 5000');
    return new World(store, new MemoryBus(), dir, raw);
  }

  /**
   * One new account per key, with a handle no other test uses (`alice-7@example.com`) and the
   * value as its (encoded) friendly name. Patches (kid, phones, BLP…) are applied as given.
   */
  async accounts<K extends string>(names: Record<K, string>, patch: Partial<Record<K, AccountPatch>> = {}): Promise<Record<K, Account>> {
    serial += 1;
    const made = {} as Record<K, Account>;
    for (const key of Object.keys(names) as K[]) {
      const created = await this.store.createAccount({
        handle: `${key}-${serial}@example.com`,
        friendlyName: names[key],
        secret: PASSWORD,
        verified: true,
      });
      const change = patch[key];
      if (change) await this.store.transaction((tx) => tx.updateAccount(created.id, change));
      made[key] = (await this.store.findAccount(created.handle))!;
    }
    return made;
  }

  /** Signs the account in as the NS does after USR OK: a UserSession attached to the bus (not yet present). */
  async signIn(account: Account, limits: ListLimits = DEFAULT_LIST_LIMITS): Promise<SignedIn> {
    const fresh = (await this.store.findAccount(account.handle))!;
    const user = await UserSession.open(fresh, this.store, this.bus, limits);
    const endpoint = new RecordingEndpoint();
    endpoint.user = user;
    await this.bus.routes.attach(account.handle, endpoint);
    return { user, endpoint };
  }

  /** Signs in and sends the first CHG: the usual state of a watcher (MSNP5.md 7 "present"). */
  async online(account: Account, status: Parameters<UserSession['changeStatus']>[0] = 'NLN'): Promise<SignedIn> {
    const signed = await this.signIn(account);
    await signed.user.changeStatus(status);
    signed.endpoint.clear();
    return signed;
  }

  /** The end of an NS session as server/ns/session.ts does it: signed out and off the bus in one step. */
  async signOut({ user, endpoint }: SignedIn): Promise<void> {
    await user.signOut(endpoint.sessionId);
  }

  async version(account: Account): Promise<number> {
    return (await this.store.findAccount(account.handle))!.listVersion;
  }

  async versions(...accounts: Account[]): Promise<number[]> {
    return Promise.all(accounts.map((a) => this.version(a)));
  }

  /** The owner's stored record of the contact, or undefined when there is none. */
  record(owner: Account, contact: Account): Promise<ContactEntry | undefined> {
    return this.store.read((tx) => tx.contact(owner.id, contact.id));
  }

  /** Sets a list version directly in the database (no command reaches 4294967295 in a test's time). */
  setListVersion(account: Account, version: number): void {
    this.raw.prepare('update accounts set list_version = ? where id = ?').run(version, account.id);
  }

  /**
   * Puts `watcher` on the owner's RL from another connection to the file, as another process (the
   * CLI, a second node) would write it: nothing in this process hears of it but SQLite's data_version.
   */
  addWatcherFromAnotherConnection(owner: Account, watcher: Account): void {
    this.raw
      .prepare(
        `insert into contacts (owner_id, contact_id, fl, al, bl, rl, name, group_ids, seq)
         values (?, ?, 0, 0, 0, 1, ?, '', (select coalesce(max(seq), 0) + 1 from contacts where owner_id = ?))
         on conflict (owner_id, contact_id) do update set rl = 1`,
      )
      .run(owner.id, watcher.id, watcher.handle, owner.id);
  }

  async close(): Promise<void> {
    this.raw.close();
    await this.bus.close();
    await this.store.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
