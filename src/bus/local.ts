// What every bus keeps on its own node, written once for the in-process bus and the Redis bus:
// the NS sessions signed in here (the attach/kick-OTH loop and delivery to a session that is
// here) and the listeners of node-wide signals.
import type { IncomingPage, Invitation, SessionEndpoint, Signal, UserEvent } from '../core/bus.ts';
import { sharedString } from '../core/shared-strings.ts';

/** What may be offered to a user's session: it answers whether it took it. */
export type Offer = { kind: 'ring'; invitation: Invitation } | { kind: 'page'; page: IncomingPage };

/** The NS sessions signed in on this node, one per user. */
export class LocalSessions {
  private readonly sessions = new Map<string, SessionEndpoint>();

  /**
   * Frees the user's slot on this node for `endpoint`: whoever holds it is kicked with OTH, and
   * attach goes on after that session has signed out (MSNP5.md 10.6). A third login may race the
   * second, so this kicks until the slot is free. False when `endpoint` holds the slot already.
   */
  async vacate(handle: string, endpoint: SessionEndpoint): Promise<boolean> {
    for (let previous = this.sessions.get(handle); previous; previous = this.sessions.get(handle)) {
      if (previous.sessionId === endpoint.sessionId) return false;
      await previous.kick('OTH');
      if (this.sessions.get(handle) === previous) this.sessions.delete(handle);
    }
    return true;
  }

  /** Makes `endpoint` the user's session here (after `vacate`). */
  set(handle: string, endpoint: SessionEndpoint): void {
    // The user's handle is one string with the session's and its watchers' (shared-strings.ts).
    this.sessions.set(sharedString(handle), endpoint);
  }

  /** Forgets `endpoint` if it is still the user's session here (an attach that failed half-way). */
  drop(handle: string, endpoint: SessionEndpoint): void {
    if (this.sessions.get(handle) === endpoint) this.sessions.delete(handle);
  }

  /** Forgets the session if it is the user's current one here; whether it was. */
  release(handle: string, sessionId: string): boolean {
    const current = this.sessions.get(handle)?.sessionId === sessionId;
    if (current) this.sessions.delete(handle);
    return current;
  }

  get(handle: string): SessionEndpoint | undefined {
    return this.sessions.get(handle);
  }

  has(handle: string): boolean {
    return this.sessions.has(handle);
  }

  /** Delivers to the user's session here; false when the user has none here. */
  deliver(handle: string, event: UserEvent): boolean {
    const session = this.sessions.get(handle);
    session?.deliver(event);
    return session !== undefined;
  }

  /** The answer of the user's session here to the offer; undefined when the user has none here. */
  offer(handle: string, offer: Offer): Promise<boolean> | undefined {
    const session = this.sessions.get(handle);
    if (!session) return undefined;
    return offer.kind === 'ring' ? session.ring(offer.invitation) : session.page(offer.page);
  }

  /** Ends the user's session here if it is `sessionId` (OUT OTH); whether it was. */
  async kick(handle: string, sessionId: string): Promise<boolean> {
    const session = this.sessions.get(handle);
    if (session?.sessionId !== sessionId) return false;
    await session.kick('OTH');
    return true;
  }

  /**
   * Ends the user's session here without telling its watchers: a newer session of the user on
   * another node owns the user's presence now.
   */
  supersede(handle: string): void {
    const session = this.sessions.get(handle);
    if (!session) return;
    this.sessions.delete(handle);
    void session.kick('OTH', { keepPresence: true }).catch(() => {});
  }

  /** Each user's session here, as [handle, session]. */
  entries(): [string, SessionEndpoint][] {
    return [...this.sessions];
  }

  all(): SessionEndpoint[] {
    return [...this.sessions.values()];
  }

  get size(): number {
    return this.sessions.size;
  }

  clear(): void {
    this.sessions.clear();
  }
}

/** The signal listeners of this node. */
export class LocalSignals {
  private readonly listeners: ((signal: Signal) => void)[] = [];

  /** Tells this node's listeners. */
  tell(signal: Signal): void {
    for (const listener of this.listeners) listener(signal);
  }

  on(listener: (signal: Signal) => void): void {
    this.listeners.push(listener);
  }
}
