import { randomBytes } from 'node:crypto';
import { SlidingWindow } from '../core/rate.ts';
import type {
  Bus,
  GoneUser,
  IncomingPage,
  Invitation,
  PresenceRecord,
  RateCounter,
  SessionEndpoint,
  Shown,
  Signal,
  TokenStore,
  UserEvent,
  WebSession,
} from '../core/bus.ts';

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

/**
 * A cookie in the dotted-digits shape of the period (MSNP5.md 9.2: "groups of digits joined by
 * dots"), carrying 160 random bits: five groups of ten digits, each from 32 random bits.
 */
export function newCookie(): string {
  const bytes = randomBytes(20);
  const groups: string[] = [];
  for (let i = 0; i < 20; i += 4) groups.push(String(bytes.readUInt32BE(i)).padStart(10, '0'));
  return groups.join('.');
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

/** The bus of a single-process msnd: maps from handle to session and presence. */
export class MemoryBus implements Bus {
  private readonly sessions = new Map<string, SessionEndpoint>();
  private readonly presence = new Map<string, PresenceRecord>();
  private readonly signalListeners: ((signal: Signal) => void)[] = [];
  private readonly webSessions = new Map<string, WebSession>();
  readonly tokens: TokenStore;
  readonly rates: RateCounter;

  constructor(now: () => number = Date.now) {
    this.tokens = new MemoryTokens(now);
    this.rates = new MemoryRates(now);
  }

  async attach(handle: string, endpoint: SessionEndpoint): Promise<void> {
    // A third login may race the second; kick whoever holds the slot until it is ours.
    for (let previous = this.sessions.get(handle); previous; previous = this.sessions.get(handle)) {
      if (previous.sessionId === endpoint.sessionId) return;
      await previous.kick('OTH');
      if (this.sessions.get(handle) === previous) this.sessions.delete(handle);
    }
    this.sessions.set(handle, endpoint);
  }

  async detach(handle: string, sessionId: string): Promise<void> {
    if (this.sessions.get(handle)?.sessionId === sessionId) this.sessions.delete(handle);
  }

  publish(handle: string, event: UserEvent): void {
    this.sessions.get(handle)?.deliver(event);
  }

  async ring(handle: string, invitation: Invitation): Promise<boolean> {
    const session = this.sessions.get(handle);
    return session ? session.ring(invitation) : false;
  }

  async page(handle: string, page: IncomingPage): Promise<boolean> {
    const session = this.sessions.get(handle);
    return session ? session.page(page) : false;
  }

  async isSignedIn(handle: string): Promise<boolean> {
    return this.sessions.has(handle);
  }

  signal(signal: Signal): void {
    for (const listener of this.signalListeners) listener(signal);
  }

  onSignal(listener: (signal: Signal) => void): void {
    this.signalListeners.push(listener);
  }

  async setPresence(handle: string, shown: Shown | null): Promise<number> {
    // The record outlives the session so that seq keeps growing across sign-ins.
    const seq = (this.presence.get(handle)?.seq ?? 0) + 1;
    this.presence.set(handle, { shown, seq });
    return seq;
  }

  async presenceOf(handles: readonly string[]): Promise<Map<string, PresenceRecord>> {
    const found = new Map<string, PresenceRecord>();
    for (const handle of handles) {
      const record = this.presence.get(handle);
      if (record) found.set(handle, record);
    }
    return found;
  }

  async onlineCount(): Promise<number> {
    return this.sessions.size;
  }

  async registerWebSession(mspAuth: string, session: WebSession): Promise<void> {
    this.webSessions.set(mspAuth, session);
  }

  async forgetWebSession(mspAuth: string): Promise<void> {
    this.webSessions.delete(mspAuth);
  }

  async webSession(mspAuth: string): Promise<WebSession | undefined> {
    return this.webSessions.get(mspAuth);
  }

  /** One process: every sign-out reaches the maps, so nobody is ever left behind. */
  onUsersGone(_listener: (users: GoneUser[]) => Promise<void>): void {}

  endpoints(): SessionEndpoint[] {
    return [...this.sessions.values()];
  }

  /** One process is one node: its DS always refers to its own NS. */
  announceNotificationServer(_address: string): void {}

  async leastLoadedNotificationServer(): Promise<string | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    this.sessions.clear();
    this.webSessions.clear();
  }
}
