// One Notification Server connection: the dispatcher's session and the bus's endpoint (MSNP5.md 6, 7, 10.6).
import type { Socket } from 'node:net';
import type { IncomingPage, Invitation, SessionEndpoint, UserEvent } from '../../core/bus.ts';
import { type Failure, failure } from '../../core/failure.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { Admission } from '../admission.ts';
import { Connection, type CommandFrame } from '../connection.ts';
import { type Close, type Dispatchable, Dispatcher } from '../dispatcher.ts';
import { NS_COMMANDS } from './commands.ts';
import { NsContext, type NsPhase, type NsServer } from './context.ts';
import { offerPage } from './paging.ts';
import { showEvent } from './presence.ts';
import { ring } from './switchboards.ts';

const dispatcher = new Dispatcher(NS_COMMANDS, 'authenticated');

export class NotificationSession implements SessionEndpoint, Dispatchable<NsContext, NsPhase> {
  readonly sessionId: string;
  readonly context: NsContext;
  private ending: Promise<void> | undefined;

  constructor(
    socket: Socket,
    server: NsServer,
    private readonly sessions: Set<NotificationSession>,
    /** This connection's place among those before login (admission.ts); left at `USR … OK`. */
    admission?: Admission,
  ) {
    const { limits } = server.config;
    const conn = new Connection(
      socket,
      {
        maxLineBytes: limits.maxLineBytes,
        partialInputMs: limits.partialInputMs,
        payloadRule: (name, args) => dispatcher.payloadRule(this, name, args),
      },
      server.log.child({ role: 'ns' }),
      (frame) => this.process(frame),
    );
    this.sessionId = `${process.pid}.${conn.id}`;
    this.context = new NsContext(server, conn, this, admission);
    conn.setTimer(limits.unauthenticatedMs, 'login timeout');
    sessions.add(this);
    void conn.ended.then(() => this.end());
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

  send(name: string, ...args: (string | number)[]): void {
    this.context.conn.send(name, ...args);
  }

  close(reason: string): void {
    this.context.conn.close(reason);
  }

  /** A handler threw (a store or bus fault): 500, the connection stays (MSNP5.md 13). */
  onError(error: unknown, name: string): Failure | Close {
    this.context.log.error({ err: error, command: name }, 'command failed');
    return failure(ErrorCode.INTERNAL_SERVER);
  }

  private async process(frame: CommandFrame): Promise<void> {
    if (this.context.phase === 'ended') return;
    await dispatcher.dispatch(this, frame);
  }

  // ---- the bus side -------------------------------------------------------------------------

  deliver(event: UserEvent): void {
    this.context.conn.enqueue(() => showEvent(this.context, event));
  }

  async kick(reason: 'OTH' | 'SSD'): Promise<void> {
    const { conn } = this.context;
    if (!conn.isClosing) {
      conn.send('OUT', reason);
      conn.close(`OUT ${reason}`);
    }
    return this.end();
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
    ctx.challenges.stop();
    ctx.conn.close('session ended');
    await ctx.conn.drained();
    if (wasAuthenticated && user) {
      const { bus } = ctx.server;
      try {
        await user.signOut();
      } finally {
        await bus.forgetWebSession(ctx.mspAuth);
        await bus.detach(user.handle, this.sessionId);
        bus.signal({ kind: 'session-ended', handle: user.handle, sessionId: this.sessionId });
      }
      ctx.log.info({ handle: user.handle }, 'signed out');
    }
    this.sessions.delete(this);
  }
}
