// What the Notification Server's command handlers may touch: one object per connection.
import { randomFillSync } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus, SessionEndpoint } from '../../core/bus.ts';
import type { ListLimits } from '../../core/limits.ts';
import type { Outbox } from '../../core/outbox.ts';
import { SlidingWindow } from '../../core/rate.ts';
import type { UserSession } from '../../core/session.ts';
import type { DirectoryHit, Store } from '../../core/store.ts';
import { type Dialect, type DialectFeatures, dialectLevel, featuresOf } from '../../protocol/dialects.ts';
import { encodeText } from '../../protocol/line.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { ServerConfig } from '../config.ts';
import type { Admission } from '../admission.ts';
import type { Connection } from '../connection.ts';
import type { ConnectionLog } from '../logger.ts';
import { knownClientKeys, SessionChallenges } from './challenges.ts';

/** The NS of this node: its settings and the parts every session shares. */
export interface NsServer {
  config: ServerConfig;
  log: Logger;
  store: Store;
  bus: Bus;
  metrics: ServerMetrics;
  listLimits: ListLimits;
  /** The outbox of e-mails and pages (SDC, SND, PAG). */
  outbox: Outbox;
  /** host:port of the SB that new switchboard sessions should use. */
  switchboardAddress(): string;
  /** Public base URL of msnd's web server, for URL replies (MSNP5.md 9.16). */
  webBaseUrl(): string;
  /** How many sessions of this node are signed in or signing in now (the session limit, 922). */
  admittedSessions(except: NsContext): number;
  /** Whether the account has a signed-in session on this node that is still open (other than `except`). */
  signedInHere(except: NsContext, handle: string): boolean;
  /** This node's id in the store's node reports and sign-ins (server/ns/admin-notices.ts). */
  nodeId: string;
}

const NO_HITS: readonly DirectoryHit[] = Object.freeze([]);

/** Random bytes drawn a block at a time: one randomFillSync per 170 connections, not one each (bench logins --profile). */
const randomPool = Buffer.alloc(4096);
let randomPoolUsed = randomPool.length;

/** `bytes` fresh random bytes (each handed out once) in base64url. */
function randomToken(bytes: number): string {
  if (randomPoolUsed + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolUsed = 0;
  }
  const token = randomPool.toString('base64url', randomPoolUsed, randomPoolUsed + bytes);
  randomPoolUsed += bytes;
  return token;
}

/** MSNP5.md 7: the login states; `ended` after the session is over. */
export type NsPhase = 'connected' | 'negotiated' | 'challenged' | 'authenticated' | 'ended';

/**
 * One NS connection's state as its handlers see it: the dialect, the login steps, the signed-in
 * user and the per-session flags of MSNP5.md 7 and 9.
 */
export class NsContext {
  phase: NsPhase = 'connected';
  private currentDialect: Dialect = 'MSNP5';
  private currentFeatures: DialectFeatures = featuresOf('MSNP5');
  /** USR I → USR S (MSNP5.md 6.1). */
  challenge = '';
  pendingHandle = '';
  /** Passed the session limit at USR S (MSNP5.md 13: 922). */
  admitted = false;
  private signedIn: UserSession | undefined;
  /** Has sent SYN (MSNP5.md 7): only then asynchronous BPR lines. */
  synced = false;
  /** IMS ON/OFF (MSNP5.md 9.22). */
  imsOn = true;
  /** Has handed out a switchboard cookie (XFR SB, RNG): its end must reach every node's switchboards. */
  issuedSwitchboardCookie = false;
  /** The last FND result: SDC and SND invite its entries by index (MSNP5.md 9.19). */
  lastFind: readonly DirectoryHit[] = NO_HITS;
  readonly mspAuth = randomToken(24);
  loginTime = 0;
  /** Unix ms of the sign-in (0 before it): an operator's end written before it was meant for an earlier session. */
  signedInAtMs = 0;
  private transferWindow: SlidingWindow | undefined;
  private challengeState: SessionChallenges | undefined;

  constructor(
    readonly server: NsServer,
    readonly conn: Connection,
    /** The bus's view of this session (attach at sign-in). */
    readonly endpoint: SessionEndpoint,
    /** This connection's place among those before login (admission.ts); left at `USR … OK`. */
    private admission?: Admission,
  ) {}

  /** XFR SB requests of this session (MSNP5.md 14); made at the first, so that an idle session holds none. */
  get transfers(): SlidingWindow {
    this.transferWindow ??= new SlidingWindow(this.server.config.limits.switchboardRequestWindowMs);
    return this.transferWindow;
  }

  /** CHL/QRY of MSNP6+ sessions (MSNP5.md 9.27); made when first used. */
  get challenges(): SessionChallenges {
    this.challengeState ??= new SessionChallenges(this.conn, this.server.config.limits, knownClientKeys(this.server.config.challengeKeys));
    return this.challengeState;
  }

  /** Stops the challenges, if any were started (the session ends). */
  stopChallenges(): void {
    this.challengeState?.stop();
  }

  get sessionId(): string {
    return this.endpoint.sessionId;
  }

  get log(): ConnectionLog {
    return this.conn.log;
  }

  get dialect(): Dialect {
    return this.currentDialect;
  }

  set dialect(dialect: Dialect) {
    this.currentDialect = dialect;
    this.currentFeatures = featuresOf(dialect);
  }

  get features(): DialectFeatures {
    return this.currentFeatures;
  }

  get dialectLevel(): number {
    return dialectLevel(this.currentDialect);
  }

  get isAuthenticated(): boolean {
    return this.phase === 'authenticated';
  }

  /** The signed-in user; only the commands of the `authenticated` phase ask for it. */
  get user(): UserSession {
    if (!this.signedIn) throw new Error('no user session');
    return this.signedIn;
  }

  get userIfSignedIn(): UserSession | undefined {
    return this.signedIn;
  }

  /** `USR … OK`: the session leaves the pool of those before login and drops what only login needed. */
  signedInAs(user: UserSession): void {
    this.signedIn = user;
    this.phase = 'authenticated';
    this.admission?.leave();
    this.admission = undefined;
    this.challenge = '';
    this.pendingHandle = '';
  }

  reply(name: string, ...args: (string | number)[]): void {
    this.conn.send(name, ...args);
  }

  replyBatch(lines: Buffer[]): void {
    this.conn.sendBatch(lines);
  }

  /** Whole lines as text (textLine, tokenText), in one buffer and one write (a SYN's 149 lines). */
  replyText(text: string): void {
    if (text !== '') this.conn.write(encodeText(text));
  }
}
