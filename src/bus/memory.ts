import type {
  Bus,
  GoneUser,
  IncomingPage,
  Invitation,
  NodeDirectory,
  OfflineNotice,
  PresenceRecord,
  PresenceRecords,
  RateCounter,
  RecordsAndSeq,
  Routes,
  SessionEndpoint,
  Shown,
  Signal,
  Signals,
  Tallies,
  TokenStore,
  UserEvent,
  WebLogin,
  WebSession,
  WebSessions,
} from '../core/bus.ts';
import { SlidingWindow, TallyBuckets } from '../core/rate.ts';
import { sharedString } from '../core/shared-strings.ts';
import { newCookie } from './cookie.ts';
import { LocalSessions, LocalSignals } from './local.ts';

export { newCookie };

interface TokenEntry {
  purpose: string;
  data: Record<string, string>;
  expiresAt: number;
}

/** One-use tokens in memory. Expired entries are swept lazily as new ones are issued. */
export class MemoryTokens implements TokenStore {
  private readonly entries = new Map<string, TokenEntry>();
  private issuedSinceSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async issue(purpose: string, data: Record<string, string>, ttlMs: number): Promise<string> {
    this.sweepNowAndThen();
    const token = newCookie();
    this.entries.set(token, { purpose, data, expiresAt: this.now() + ttlMs });
    return token;
  }

  async consume(purpose: string, token: string): Promise<Record<string, string> | undefined> {
    const entry = this.entries.get(token);
    if (!entry || entry.purpose !== purpose) return undefined;
    this.entries.delete(token);
    return entry.expiresAt > this.now() ? entry.data : undefined;
  }

  private sweepNowAndThen(): void {
    if (++this.issuedSinceSweep < 1000) return;
    this.issuedSinceSweep = 0;
    const now = this.now();
    for (const [token, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(token);
  }
}

/** Rates in memory: one sliding window per window length. */
export class MemoryRates implements RateCounter {
  private readonly windows = new Map<number, SlidingWindow>();

  constructor(private readonly now: () => number = Date.now) {}

  async count(key: string, windowMs: number): Promise<number> {
    return this.window(windowMs).count(key);
  }

  async add(key: string, windowMs: number): Promise<void> {
    this.window(windowMs).add(key);
  }

  private window(windowMs: number): SlidingWindow {
    let window = this.windows.get(windowMs);
    if (!window) this.windows.set(windowMs, (window = new SlidingWindow(windowMs, this.now)));
    return window;
  }
}

/** Tallies in one process. */
export class MemoryTallies implements Tallies {
  private readonly buckets: TallyBuckets;

  constructor(now: () => number = Date.now) {
    this.buckets = new TallyBuckets(now);
  }

  async add(key: string, windowMs: number): Promise<void> {
    this.buckets.add(key, windowMs);
  }

  async count(keys: readonly string[], windowMs: number): Promise<number[]> {
    return keys.map((key) => this.buckets.count(key, windowMs));
  }
}

/** The routes of one process: every session is here. */
export class MemoryRoutes implements Routes {
  readonly local = new LocalSessions();

  constructor(private readonly webSessions: WebSessions) {}

  async attach(handle: string, endpoint: SessionEndpoint, web?: WebLogin): Promise<void> {
    if (!(await this.local.vacate(handle, endpoint))) return;
    this.local.set(handle, endpoint);
    if (web) await this.webSessions.register(web.mspAuth, { handle, loginTime: web.loginTime, sessionId: endpoint.sessionId });
  }

  async detach(handle: string, sessionId: string, mspAuth?: string): Promise<void> {
    if (mspAuth !== undefined) await this.webSessions.forget(mspAuth);
    this.local.release(handle, sessionId);
  }

  publish(handle: string, event: UserEvent): void {
    this.local.deliver(handle, event);
  }

  async ring(handle: string, invitation: Invitation): Promise<boolean> {
    return (await this.local.offer(handle, { kind: 'ring', invitation })) ?? false;
  }

  async page(handle: string, page: IncomingPage): Promise<boolean> {
    return (await this.local.offer(handle, { kind: 'page', page })) ?? false;
  }

  async isSignedIn(handle: string): Promise<boolean> {
    return this.local.has(handle);
  }

  async end(handle: string): Promise<boolean> {
    const session = this.local.get(handle);
    return session ? this.local.kick(handle, session.sessionId) : false;
  }

  async onlineCount(): Promise<number> {
    return this.local.size;
  }

  endpoints(): SessionEndpoint[] {
    return this.local.all();
  }
}

/** Presence records in memory. */
export class MemoryPresence implements PresenceRecords {
  private readonly records = new Map<string, PresenceRecord>();

  async set(handle: string, shown: Shown | null): Promise<number> {
    // The record outlives the session so that seq keeps growing across sign-ins.
    const seq = (this.records.get(handle)?.seq ?? 0) + 1;
    this.records.set(handle, { shown, seq });
    return seq;
  }

  async get(handles: readonly string[]): Promise<Map<string, PresenceRecord>> {
    const found = new Map<string, PresenceRecord>();
    for (const handle of handles) {
      const record = this.records.get(handle);
      if (record) found.set(handle, record);
    }
    return found;
  }

  async getAndSet(handles: readonly string[], handle: string, shown: Shown | null): Promise<RecordsAndSeq> {
    const records = await this.get(handles);
    return { records, seq: await this.set(handle, shown) };
  }
}

/** Web sessions in memory. */
export class MemoryWebSessions implements WebSessions {
  private readonly sessions = new Map<string, WebSession>();

  async register(mspAuth: string, session: WebSession): Promise<void> {
    this.sessions.set(mspAuth, { ...session, handle: sharedString(session.handle) });
  }

  async forget(mspAuth: string): Promise<void> {
    this.sessions.delete(mspAuth);
  }

  async get(mspAuth: string): Promise<WebSession | undefined> {
    return this.sessions.get(mspAuth);
  }

  clear(): void {
    this.sessions.clear();
  }
}

/** One process is one node: its DS always refers to its own NS. */
export class SingleNode implements NodeDirectory {
  announce(_nsAddress: string): void {}

  async leastLoaded(): Promise<string | undefined> {
    return undefined;
  }

  /** One process: every sign-out reaches the maps, so nobody is ever left behind. */
  onUsersGone(_listener: (users: GoneUser[]) => Promise<void>): void {}
}

/** Signals in one process: this node's listeners are every node's. */
export class MemorySignals implements Signals {
  private readonly local = new LocalSignals();

  send(signal: Signal): void {
    this.local.tell(signal);
  }

  on(listener: (signal: Signal) => void): void {
    this.local.on(listener);
  }
}

/** The bus of a single-process msnd: maps from handle to session and presence. */
export class MemoryBus implements Bus {
  readonly webSessions = new MemoryWebSessions();
  readonly routes = new MemoryRoutes(this.webSessions);
  readonly presence = new MemoryPresence();
  readonly nodes = new SingleNode();
  readonly signals = new MemorySignals();
  readonly tokens: MemoryTokens;
  readonly rates: MemoryRates;
  readonly tallies: MemoryTallies;

  constructor(now: () => number = Date.now) {
    this.tokens = new MemoryTokens(now);
    this.rates = new MemoryRates(now);
    this.tallies = new MemoryTallies(now);
  }

  async leave(handle: string, sessionId: string, mspAuth: string | undefined, offline?: OfflineNotice): Promise<void> {
    if (offline) {
      const event: UserEvent = { kind: 'presence', contact: handle, seq: await this.presence.set(handle, null), shown: null };
      for (const watcher of offline.watchers) this.routes.publish(watcher, event);
    }
    await this.routes.detach(handle, sessionId, mspAuth);
  }

  async close(): Promise<void> {
    this.routes.local.clear();
    this.webSessions.clear();
  }
}
