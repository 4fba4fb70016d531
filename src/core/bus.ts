import type { PhoneProperty, Status } from './types.ts';

/** What a watcher is shown of a contact: its status and name, or null for offline (MSNP5.md 10.1). */
export interface Shown {
  status: Exclude<Status, 'HDN'>;
  name: string;
}

/**
 * Events for one user's NS session, wherever it is connected. They are facts, not wire lines:
 * the receiving session formats them for its own dialect and state.
 */
export type UserEvent =
  /** What the user may now see of `contact`. `seq` orders one contact's presence events. */
  | { kind: 'presence'; contact: string; seq: number; shown: Shown | null }
  /** `contact` put the user on its FL: ADD 0 RL. */
  | { kind: 'reverse-added'; version: number; contact: string; name: string }
  /** `contact` removed the user from its FL: REM 0 RL. */
  | { kind: 'reverse-removed'; version: number; contact: string }
  /** `contact` left one of the user's lists outside the user's session (its account was deleted): REM 0 FL|AL|BL. */
  | { kind: 'list-removed'; list: 'FL' | 'AL' | 'BL'; version: number; contact: string }
  /** `contact` changed a phone property the user sees: BPR. */
  | { kind: 'phone'; version: number; contact: string; property: PhoneProperty | 'MOB'; value: string }
  /** A mail arrived in the user's mailbox at the operator's mail system: e-mail notification (MSNP5.md 12.2). */
  | { kind: 'new-mail'; from: string; fromAddr: string; subject: string; folder: string };

/** A switchboard invitation on its way to the invitee's NS session (MSNP5.md 9.25). */
export interface Invitation {
  /** The switchboard session id. */
  sessionId: string;
  /** host:port of the SB that holds the session. */
  address: string;
  caller: string;
  callerName: string;
}

/** A page (PAG) on its way to the target's NS session, to be shown as IPG (MSNP5.md 9.20, 9.28). */
export interface IncomingPage {
  from: string;
  fromAccountId: number;
  /** The decoded text. */
  text: string;
  /** The call-back number of the PHONE element ('' without one). */
  callback: string;
}

/** Node-wide facts the switchboards act on. */
export type Signal =
  /** An NS session ended: its switchboard connections close (MSNP5.md 10.6, D-13). */
  | { kind: 'session-ended'; handle: string; sessionId: string }
  /** A user renamed itself: new switchboard lines carry the new name (MSNP5.md 9.10). */
  | { kind: 'renamed'; handle: string; name: string };

/** A signed-in NS session as the bus knows it. */
export interface SessionEndpoint {
  readonly sessionId: string;
  /** Queue an event for the session; must not block on the session's own work. */
  deliver(event: UserEvent): void;
  /**
   * Offers a switchboard invitation. The session refuses it (false) unless it is present, not
   * hidden, has IMS ON and allows the caller (MSNP5.md 9.25, 11.3); on acceptance it has issued
   * the RNG cookie and written the RNG line.
   */
  ring(invitation: Invitation): Promise<boolean>;
  /**
   * Offers a page. The session takes it (true) only if it can show it as IPG: negotiated at MSNP6
   * or later, present and not hidden (MSNP5.md 9.28); on acceptance it has written the IPG.
   */
  page(page: IncomingPage): Promise<boolean>;
  /**
   * End the session (`OUT OTH` / `OUT SSD`); resolves when its sign-out is complete. With
   * `keepPresence` the watchers are not told: a newer session of the user on another node owns the
   * user's presence by then.
   */
  kick(reason: 'OTH' | 'SSD', options?: { keepPresence?: boolean }): Promise<void>;
  /** Tells the watchers this user's presence again (after the bus lost what it had recorded). */
  republishPresence(): Promise<void>;
}

/** A user's presence as recorded on the bus; `seq` grows with every change. */
export interface PresenceRecord {
  shown: Shown | null;
  seq: number;
}

/** A user whose node stopped without signing it out, now recorded offline with presence seq `seq`. */
export interface GoneUser {
  handle: string;
  seq: number;
}

/**
 * The web login an NS session hands out in its profile message (MSNP5.md 12.1 MSPAuth, 9.16): valid
 * while that session lasts, so that msnd's web login page can check the client's hidden form.
 */
export interface WebSession {
  handle: string;
  /** The profile message's LoginTime (Unix seconds); the form's `sl` counts from it. */
  loginTime: number;
  /** The NS session that issued the MSPAuth. */
  sessionId: string;
}

/** The web session an NS session hands out, registered with its route (Routes.attach). */
export interface WebLogin {
  mspAuth: string;
  loginTime: number;
}

/** Events per key within a sliding window, counted for every node (the rate limits of MSNP5.md 14). */
export interface RateCounter {
  /** How many events `key` had within the last `windowMs`. */
  count(key: string, windowMs: number): Promise<number>;
  /** Records one event of `key` now; it counts for `windowMs`. */
  add(key: string, windowMs: number): Promise<void>;
}

/**
 * Events per key over a long window, counted in buckets of a sixtieth of it (the dashboard's
 * sign-ins of the last hour, on every node): a key holds at most 60 counts however many events
 * there are, where a RateCounter holds each event. A count covers the current bucket and the 59
 * before it, so it leaves out up to a sixtieth of the window, its oldest part.
 */
export interface Tallies {
  add(key: string, windowMs: number): Promise<void>;
  count(keys: readonly string[], windowMs: number): Promise<number[]>;
}

/** One-use tokens with an expiry (switchboard cookies and the like). */
export interface TokenStore {
  issue(purpose: string, data: Record<string, string>, ttlMs: number): Promise<string>;
  /** Returns the data once; later, or after expiry, undefined. */
  consume(purpose: string, token: string): Promise<Record<string, string> | undefined>;
}

/**
 * Where each signed-in user's NS session is, and delivery to it: to the session itself when it is
 * on this node, else to its node.
 */
export interface Routes {
  /**
   * Makes `endpoint` the user's one NS session. A previous session of the user is kicked with OTH
   * first, and attach resolves after that session has signed out (MSNP5.md 10.6). With `web`, the
   * session's MSPAuth is registered in the same step (as WebSessions.register would).
   */
  attach(handle: string, endpoint: SessionEndpoint, web?: WebLogin): Promise<void>;
  /**
   * Forgets the session if it is still the user's current one; with `mspAuth`, its web session
   * too, in the same step (as WebSessions.forget would).
   */
  detach(handle: string, sessionId: string, mspAuth?: string): Promise<void>;
  /** At-most-once delivery to the user's current session; dropped when the user is offline. */
  publish(handle: string, event: UserEvent): void;
  /** Offers an invitation to the user's current session; false when offline or refused. */
  ring(handle: string, invitation: Invitation): Promise<boolean>;
  /** Offers a page to the user's current session; false when offline or refused. */
  page(handle: string, page: IncomingPage): Promise<boolean>;
  /** Whether the user has a current NS session right now. */
  isSignedIn(handle: string): Promise<boolean>;
  /**
   * Ends the user's current NS session wherever it is (`OUT OTH`: MSNP5 has no other reason for an
   * end the server decides, MSNP5.md 9.26); resolves once it has signed out. False when there was none.
   */
  end(handle: string): Promise<boolean>;
  /** Handles with a current session. */
  onlineCount(): Promise<number>;
  /** Every current session on this node (for shutdown). */
  endpoints(): SessionEndpoint[];
}

/** The records `PresenceRecords.getAndSet` read, and the seq it recorded. */
export interface RecordsAndSeq {
  records: Map<string, PresenceRecord>;
  seq: number;
}

/** Each user's own presence as recorded for every node; a record outlives the session. */
export interface PresenceRecords {
  /** Records what the user's own presence now is (null: not present or hidden) and returns its new seq. */
  set(handle: string, shown: Shown | null): Promise<number>;
  /** The records of those handles that have one. */
  get(handles: readonly string[]): Promise<Map<string, PresenceRecord>>;
  /**
   * `get(handles)` then `set(handle, shown)`, as one step (a session's first CHG reads its contacts'
   * records for the ILN batch and records its own: one round trip on a cluster, not two in a row).
   */
  getAndSet(handles: readonly string[], handle: string, shown: Shown | null): Promise<RecordsAndSeq>;
}

/** The MSPAuth of each signed-in session, for msnd's web login page (MSNP5.md 12.1). */
export interface WebSessions {
  /** Records a signed-in session's MSPAuth (at sign-in); `forget` removes it (at sign-out). */
  register(mspAuth: string, session: WebSession): Promise<void>;
  forget(mspAuth: string): Promise<void>;
  /** The session an MSPAuth belongs to while that session lasts; undefined otherwise. */
  get(mspAuth: string): Promise<WebSession | undefined>;
}

/** The nodes of the service: where their NS listen, their load, and the users of nodes that stopped. */
export interface NodeDirectory {
  /** Tells the other nodes where this node's NS (and SB) listen (its load is its number of sessions). */
  announce(nsAddress: string, sbAddress?: string): void;
  /**
   * Whether `address` (host:port) is where a live node of the cluster has its SB: the web Messenger's
   * WebSocket reaches a switchboard on another node only then. Absent: one node, no other SB.
   */
  isSwitchboard?(address: string): Promise<boolean>;
  /** The NS address of the least loaded node, for the DS's XFR; undefined: this node's own. */
  leastLoaded(): Promise<string | undefined>;
  /** Live msnd nodes sharing this bus (metrics); absent: one. */
  count?(): Promise<number>;
  /**
   * Called with the users of a node that stopped without signing them out (a cluster node that died,
   * or sessions whose sign-out did not reach the bus), once their routes are gone and their presence
   * is recorded offline: their watchers must be told (MSNP5.md 10.6). Only one node is told of each.
   */
  onUsersGone(listener: (users: GoneUser[]) => Promise<void>): void;
}

/** Node-wide facts for the switchboards of every node. */
export interface Signals {
  /** Tells every node's listeners (this node's at once), each once. */
  send(signal: Signal): void;
  on(listener: (signal: Signal) => void): void;
}

/**
 * The bus: small parts, each with one job (DESIGN.md "Cluster mode"). In one process they are sets
 * of maps; in a cluster the same calls cross Redis. Each part passes one shared suite on both.
 */
export interface Bus {
  readonly routes: Routes;
  readonly presence: PresenceRecords;
  readonly webSessions: WebSessions;
  readonly nodes: NodeDirectory;
  readonly signals: Signals;
  readonly tokens: TokenStore;
  readonly rates: RateCounter;
  readonly tallies: Tallies;
  /**
   * A session's sign-out on the bus, as one step: with `offline`, the user's presence recorded
   * offline and each of `offline.watchers` sent the offline event with the new seq (as
   * PresenceRecords.set then Routes.publish); then the session forgotten (as Routes.detach). On a
   * cluster one round trip, where the three took two.
   */
  leave(handle: string, sessionId: string, mspAuth: string | undefined, offline?: OfflineNotice): Promise<void>;
  close(): Promise<void>;
}

/** Who is told that a user signing out is offline (Bus.leave): its watchers, or none when it was hidden. */
export interface OfflineNotice {
  watchers: readonly string[];
}
