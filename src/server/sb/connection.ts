// One client connection to the SB: USR or ANS first, then CAL, MSG and OUT (MSNP5.md 11).
import type { Transport } from '../transport.ts';
import type { Failure } from '../../core/failure.ts';
import type { Admission } from '../admission.ts';
import { roleLogger } from '../logger.ts';
import { Connection, type CommandFrame, type ConnectionOwner } from '../connection.ts';
import type { PayloadRule } from '../../protocol/framer.ts';
import type { ServerMetrics } from '../metrics.ts';
import { type Close, close, type Dispatchable, Dispatcher } from '../dispatcher.ts';
import type { ChatSession, Participant, Switchboard, SwitchboardContext } from './board.ts';
import { SB_COMMANDS, type SbPhase } from './commands.ts';

const dispatcher = new Dispatcher(SB_COMMANDS, 'joined', 'sb');

/** What the SB's handlers may touch: the board, this connection, and the chat once joined. */
export interface SbContext {
  readonly board: Switchboard;
  readonly server: SwitchboardContext;
  readonly conn: Connection;
  readonly chat: ChatSession | undefined;
  readonly me: Participant | undefined;
  joined(chat: ChatSession, me: Participant): void;
}

export class SwitchboardConnection implements SbContext, ConnectionOwner, Dispatchable<SbContext, SbPhase> {
  readonly conn: Connection;
  chat: ChatSession | undefined;
  me: Participant | undefined;

  constructor(
    transport: Transport,
    readonly board: Switchboard,
    readonly server: SwitchboardContext,
    private readonly admission?: Admission,
  ) {
    const limits = server.config.limits;
    this.conn = new Connection(
      transport,
      { maxLineBytes: limits.maxLineBytes, partialInputMs: limits.partialInputMs },
      roleLogger(server.log, 'sb'),
      this,
    );
    this.conn.setTimer(limits.unauthenticatedMs, 'login timeout');
  }

  get phase(): SbPhase {
    return this.me ? 'joined' : 'joining';
  }

  get context(): SbContext {
    return this;
  }

  get metrics(): ServerMetrics {
    return this.server.metrics;
  }

  send(name: string, ...args: (string | number)[]): void {
    this.conn.send(name, ...args);
  }

  close(reason: string): void {
    this.conn.close(reason);
  }

  /** A handler threw: the connection ends; the others get BYE (MSNP5.md 11.7). */
  onError(error: unknown, name: string): Failure | Close {
    this.conn.log.error({ err: error, command: name }, 'command failed');
    return close('internal error');
  }

  joined(chat: ChatSession, me: Participant): void {
    this.chat = chat;
    this.me = me;
    this.admission?.leave();
    this.restartIdleTimer();
  }

  // ---- the connection's owner (connection.ts) ------------------------------------------------

  payloadRule(name: string, args: readonly string[]): PayloadRule | undefined {
    return dispatcher.payloadRule(this, name, args);
  }

  connectionEnding(reason: string): void {
    this.server.metrics.connectionClosed('sb', reason);
  }

  connectionEnded(): void {
    this.left(false);
  }

  process(frame: CommandFrame): Promise<void> | void {
    // The idle limit counts from each command (joined() started it); refreshing it allocates nothing.
    if (this.me) this.conn.refreshTimer();
    return dispatcher.dispatch(this, frame);
  }

  private left(idle: boolean): void {
    if (this.chat && this.me) this.board.leave(this.chat, this.me, idle);
  }

  /** MSNP5.md 11.7: an idle participant is removed with `BYE handle 1`. */
  private restartIdleTimer(): void {
    this.conn.setTimer(this.server.config.limits.switchboardIdleMs, 'idle', () => this.left(true));
  }
}
