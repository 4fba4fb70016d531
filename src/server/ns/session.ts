// One Notification Server connection: the dispatcher's session and the bus's endpoint (MSNP5.md 6, 7, 10.6).
import type { Transport } from '../transport.ts';
import type { IncomingPage, Invitation, SessionEndpoint, UserEvent } from '../../core/bus.ts';
import { type Failure, failure } from '../../core/failure.ts';
import { isServiceUnavailable } from '../../core/unavailable.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { PayloadRule } from '../../protocol/framer.ts';
import type { Admission } from '../admission.ts';
import { roleLogger } from '../logger.ts';
import { Connection, type CommandFrame, type ConnectionOwner } from '../connection.ts';
import type { ServerMetrics } from '../metrics.ts';
import { type Close, type Dispatchable, Dispatcher } from '../dispatcher.ts';
import { NS_COMMANDS } from './commands.ts';
import { NsContext, type NsPhase, type NsServer } from './context.ts';
import { offerPage } from './paging.ts';
import { showEvent } from './presence.ts';
import { ring } from './switchboards.ts';

const dispatcher = new Dispatcher(NS_COMMANDS, 'authenticated', 'ns');

export class NotificationSession implements SessionEndpoint, ConnectionOwner, Dispatchable<NsContext, NsPhase> {
  readonly sessionId: string;
  readonly context: NsContext;
  private ending: Promise<void> | undefined;
  /** Ended because the user signed in on another node meanwhile: that session owns the presence. */
  private presenceOwnedElsewhere = false;

  constructor(
    transport: Transport,
    server: NsServer,
    private readonly sessions: Set<NotificationSession>,
    /** This connection's place among those before login (admission.ts); left at `USR … OK`. */
    admission?: Admission,
  ) {
    const { limits } = server.config;
    const conn = new Connection(
      transport,
      { maxLineBytes: limits.maxLineBytes, partialInputMs: limits.partialInputMs },
      roleLogger(server.log, 'ns'),
      this,
    );
    this.sessionId = `${process.pid}.${conn.id}`;
    this.context = new NsContext(server, conn, this, admission);
    conn.setTimer(limits.unauthenticatedMs, 'login timeout');
    sessions.add(this);
  }

  get phase(): NsPhase {
    return this.context.phase;
  }

  get features() {
    return this.context.features;
  }

  get isAuthenticated(): boolean {
    return this.context.isAuthenticated;
  }

  get metrics(): ServerMetrics {
    return this.context.server.metrics;
  }

  send(name: string, ...args: (string | number)[]): void {
    this.context.conn.send(name, ...args);
  }

  close(reason: string): void {
    this.context.conn.close(reason);
  }

  /**
   * A handler threw: 601 when a backing service (store or bus) is down, as MSNP5.md 13 gives it ("a
   * backing service is down"; it names 603 ERR_DB_CONNECT "never (use 601)", and 601 is known to every
   * dialect since the draft, unlike the R5 codes 500/501 the MSNP5 client no longer explains); 500 for
   * a fault in msnd itself. At USR S this is a login that cannot be served: the code, then the close
   * (the dispatcher's rule; 6.4's busy codes 910/922 mean load, and a client would say the server is full).
   */
  onError(error: unknown, name: string): Failure | Close {
    this.context.log.error({ err: error, command: name }, 'command failed');
    const code = isServiceUnavailable(error) ? ErrorCode.SERVER_UNAVAILABLE : ErrorCode.INTERNAL_SERVER;
    if (name === 'USR' && this.context.phase === 'challenged') this.metrics.login(code);
    return failure(code);
  }

  // ---- the connection's owner (connection.ts) ------------------------------------------------

  process(frame: CommandFrame): Promise<void> | void {
    if (this.context.phase !== 'ended') return dispatcher.dispatch(this, frame);
  }

  payloadRule(name: string, args: readonly string[]): PayloadRule | undefined {
    return dispatcher.payloadRule(this, name, args);
  }

  connectionEnding(reason: string): void {
    this.metrics.connectionClosed('ns', reason);
  }

  /** A signed-in session's end is its `signed out` line (signOut), with the handle besides the reason and the address. */
  logsItsEnd(): boolean {
    return this.context.isAuthenticated;
  }

  connectionEnded(): void {
    void this.end();
  }

  // ---- the bus side -------------------------------------------------------------------------

  deliver(event: UserEvent): void {
    if (event.kind === 'presence') this.metrics.presenceEvent();
    this.context.conn.enqueue(() => showEvent(this.context, event));
  }

  async kick(reason: 'OTH' | 'SSD', options: { keepPresence?: boolean } = {}): Promise<void> {
    if (options.keepPresence) this.presenceOwnedElsewhere = true;
    const { conn } = this.context;
    if (!conn.isClosing) {
      conn.send('OUT', reason);
      conn.close(`OUT ${reason}`);
    }
    return this.end();
  }

  /**
   * An operator ended the session (msnd user disable/kick/del). MSNP5.md 9.26 has no reason for
   * it: `OTH` would tell the client it signed in elsewhere and `SSD` that the server is going down
   * (a client reconnects after it). The server's own end without a reason is plain `OUT`, as for
   * an unanswered challenge (9.27), so: `OUT`, then the close, with the steps of 10.6.
   */
  endByOperator(reason: string): Promise<void> {
    const { conn } = this.context;
    if (!conn.isClosing) {
      conn.send('OUT');
      conn.close(`ended by an operator (${reason})`);
    }
    return this.end();
  }

  /**
   * An operator renamed the account: the session takes the name, the client is told as for a
   * change made outside its session (`REA 0 <v> <handle> <name>`, the TrID 0 of ADD/REM 0,
   * MSNP5.md 9.8, 9.9) and watchers and switchboards see the new name (9.10).
   */
  takeName(name: string, version: number): void {
    const { conn } = this.context;
    conn.enqueue(async () => {
      const user = this.context.userIfSignedIn;
      if (!this.context.isAuthenticated || !user) return;
      await user.takeName(name, version);
      this.context.server.bus.signals.send({ kind: 'renamed', handle: user.handle, name });
      this.context.reply('REA', 0, version, user.handle, name);
    });
  }

  async republishPresence(): Promise<void> {
    if (this.context.isAuthenticated) await this.context.userIfSignedIn?.republishPresence();
  }

  async page(page: IncomingPage): Promise<boolean> {
    return offerPage(this.context, page);
  }

  ring(invitation: Invitation): Promise<boolean> {
    return ring(this.context, invitation);
  }

  /** Ends the session once: watchers see it go offline, the bus forgets it (MSNP5.md 10.6). */
  end(): Promise<void> {
    this.ending ??= this.signOut();
    return this.ending;
  }

  private async signOut(): Promise<void> {
    const ctx = this.context;
    const wasAuthenticated = ctx.isAuthenticated;
    const user = ctx.userIfSignedIn;
    ctx.phase = 'ended';
    ctx.stopChallenges();
    ctx.conn.close('session ended');
    await ctx.conn.drained();
    if (wasAuthenticated && user) {
      const { bus } = ctx.server;
      // Presence, route and web session in one step on the bus (Bus.leave); what did not reach it
      // (the bus is down) is put right when it recovers (RedisBus.recover).
      await user
        .signOut(this.sessionId, { mspAuth: ctx.mspAuth, keepPresence: this.presenceOwnedElsewhere })
        .catch((err: unknown) => ctx.log.warn({ err, step: 'presence, route and web session' }, 'sign-out step failed'));
      // Not waited for, as the sign-in's is (login.ts recordSignIn); the store keeps the two in order.
      void ctx.server.store.admin
        .recordSignOut(user.accountId, this.sessionId)
        .catch((err: unknown) => ctx.log.warn({ err, step: 'sign-in record' }, 'sign-out step failed'));
      // Only a session that handed out a switchboard cookie can have switchboard connections, or
      // cookies that must now admit nobody (D-13): the others' end need not reach every node.
      if (ctx.issuedSwitchboardCookie) bus.signals.send({ kind: 'session-ended', handle: user.handle, sessionId: this.sessionId });
      ctx.log.info({ handle: user.handle, remote: ctx.conn.remoteAddress, reason: ctx.conn.closeReason }, 'signed out');
    }
    this.sessions.delete(this);
  }
}
