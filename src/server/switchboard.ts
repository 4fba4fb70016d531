import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Bus, Signal } from '../core/bus.ts';
import type { Store } from '../core/store.ts';
import { rateLimit } from '../core/rate.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { encodeLine, encodePayloadCommand, isTrId } from '../protocol/line.ts';
import { isValidHandle, normalizeHandle } from '../protocol/names.ts';
import type { Admission } from './admission.ts';
import type { ServerConfig } from './config.ts';
import { Connection, type CommandFrame } from './connection.ts';

export interface SwitchboardContext {
  config: ServerConfig;
  log: Logger;
  store: Store;
  bus: Bus;
  /** host:port of this SB, written into RNG. */
  address(): string;
}

/** One participant's connection to a switchboard session. */
class Participant {
  constructor(
    readonly handle: string,
    public name: string,
    readonly nsSessionId: string,
    readonly conn: Connection,
  ) {}
}

/** A chat: an ordered set of participants and who has been invited (MSNP5.md 11.1). */
class ChatSession {
  readonly participants = new Map<string, Participant>();
  readonly invited = new Map<string, NodeJS.Timeout>();

  constructor(readonly id: string) {}

  others(handle: string): Participant[] {
    return [...this.participants.values()].filter((p) => p.handle !== handle);
  }

  clearInvitation(handle: string): void {
    clearTimeout(this.invited.get(handle));
    this.invited.delete(handle);
  }
}

/** The Switchboard Server (MSNP5.md 11): sessions, invitations and relayed messages. */
export class Switchboard {
  private readonly chats = new Map<string, ChatSession>();
  private readonly byNsSession = new Map<string, Set<Participant>>();
  private readonly byHandle = new Map<string, Set<Participant>>();
  private readonly connections = new Set<Connection>();
  /** NS sessions that ended while cookies issued to them may still be unused (MSNP5.md 10.6). */
  private readonly endedNsSessions = new Set<string>();

  constructor(private readonly ctx: SwitchboardContext) {
    ctx.bus.onSignal((signal) => this.onSignal(signal));
  }

  /** `admission`: the connection's place among those before USR/ANS OK (admission.ts). */
  accept(socket: Socket, admission?: Admission): void {
    const connection = new SwitchboardConnection(socket, this, this.ctx, admission);
    this.connections.add(connection.conn);
    void connection.conn.closed.then(() => this.connections.delete(connection.conn));
  }

  /** Closes every switchboard connection (shutdown). */
  closeAll(): void {
    for (const conn of this.connections) conn.close('shutdown');
  }

  get sessionCount(): number {
    return this.chats.size;
  }

  createChat(): ChatSession {
    let id: string;
    do id = String(randomInt(10_000_000, 100_000_000));
    while (this.chats.has(id));
    const chat = new ChatSession(id);
    this.chats.set(id, chat);
    return chat;
  }

  chat(id: string): ChatSession | undefined {
    return this.chats.get(id);
  }

  join(chat: ChatSession, participant: Participant): void {
    chat.clearInvitation(participant.handle);
    chat.participants.set(participant.handle, participant);
    addTo(this.byNsSession, participant.nsSessionId, participant);
    addTo(this.byHandle, participant.handle, participant);
  }

  /** Removes a participant; the others get BYE (MSNP5.md 11.7); an empty session is forgotten. */
  leave(chat: ChatSession, participant: Participant, idle: boolean): void {
    if (chat.participants.get(participant.handle) !== participant) return;
    chat.participants.delete(participant.handle);
    removeFrom(this.byNsSession, participant.nsSessionId, participant);
    removeFrom(this.byHandle, participant.handle, participant);
    const bye = idle ? encodeLine('BYE', participant.handle, 1) : encodeLine('BYE', participant.handle);
    for (const other of chat.participants.values()) other.conn.write(bye);
    if (chat.participants.size === 0) {
      for (const handle of chat.invited.keys()) chat.clearInvitation(handle);
      this.chats.delete(chat.id);
    }
  }

  /** MSNP5.md 10.6: cookies issued to an NS session that has ended admit nobody. */
  nsSessionEnded(sessionId: string | undefined): boolean {
    return sessionId === undefined || this.endedNsSessions.has(sessionId);
  }

  private onSignal(signal: Signal): void {
    if (signal.kind === 'session-ended') {
      // D-13: a user's switchboard connections end with its NS session.
      for (const participant of this.byNsSession.get(signal.sessionId) ?? []) participant.conn.close('NS session ended');
      const { transferCookieMs, ringCookieMs } = this.ctx.config.limits;
      this.endedNsSessions.add(signal.sessionId);
      setTimeout(() => this.endedNsSessions.delete(signal.sessionId), Math.max(transferCookieMs, ringCookieMs)).unref();
    } else {
      for (const participant of this.byHandle.get(signal.handle) ?? []) participant.name = signal.name;
    }
  }
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key) ?? new Set<V>();
  set.add(value);
  map.set(key, set);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  set?.delete(value);
  if (set?.size === 0) map.delete(key);
}

const MESSAGE_MODES = new Set(['U', 'N', 'A']);

/** One client connection to the SB: USR or ANS first, then CAL, MSG and OUT (MSNP5.md 11). */
class SwitchboardConnection {
  readonly conn: Connection;
  private chat: ChatSession | undefined;
  private me: Participant | undefined;

  constructor(
    socket: Socket,
    private readonly board: Switchboard,
    private readonly ctx: SwitchboardContext,
    private readonly admission?: Admission,
  ) {
    const limits = ctx.config.limits;
    this.conn = new Connection(
      socket,
      {
        maxLineBytes: limits.maxLineBytes,
        partialInputMs: limits.partialInputMs,
        payloadRule: (name, args) => (this.readsPayload(name, args) ? { maxBytes: limits.messageBytes } : undefined),
      },
      ctx.log.child({ role: 'sb' }),
      (frame) => this.process(frame),
    );
    this.conn.setTimer(limits.unauthenticatedMs, 'login timeout');
    void this.conn.ended.then(() => this.left(false));
  }

  /** Only a well-formed MSG after USR/ANS has its payload read; anything else closes unread (MSNP5.md 11.6). */
  private readsPayload(name: string, args: readonly string[]): boolean {
    return name === 'MSG' && this.me !== undefined && args.length === 3 && MESSAGE_MODES.has(args[1]!);
  }

  private left(idle: boolean): void {
    if (this.chat && this.me) this.board.leave(this.chat, this.me, idle);
  }

  private async process(frame: CommandFrame): Promise<void> {
    if (!this.me) return this.processJoin(frame);
    this.restartIdleTimer();
    switch (frame.name) {
      case 'CAL':
        return this.call(frame);
      case 'MSG':
        return this.message(frame);
      case 'OUT':
        // MSNP5.md 11.7: the SB closes without replying; the others get BYE.
        return this.conn.close(frame.args.length === 0 ? 'OUT' : 'OUT with parameters');
      default:
        return this.conn.close(`${frame.name} on the SB`);
    }
  }

  private async processJoin(frame: CommandFrame): Promise<void> {
    const [trid] = frame.args;
    if (trid === undefined || !isTrId(trid)) return this.conn.close('bad first command');
    if (frame.name === 'USR' && frame.args.length === 3) return this.create(trid, frame.args[1]!, frame.args[2]!);
    if (frame.name === 'ANS' && frame.args.length === 4) {
      return this.answer(trid, frame.args[1]!, frame.args[2]!, frame.args[3]!);
    }
    return this.conn.close('USR or ANS must come first');
  }

  /** USR (MSNP5.md 11.2): the creator joins with its XFR cookie. */
  private async create(trid: string, rawHandle: string, cookie: string): Promise<void> {
    const handle = normalizeHandle(rawHandle);
    const grant = await this.ctx.bus.tokens.consume('xfr', cookie);
    const name = grant?.handle === handle ? await this.currentName(handle) : undefined;
    if (!grant || name === undefined || this.conn.isClosing || this.board.nsSessionEnded(grant.ns)) return this.refuse(trid);
    this.chat = this.board.createChat();
    this.me = new Participant(handle, name, grant.ns!, this.conn);
    this.board.join(this.chat, this.me);
    this.admission?.leave();
    this.restartIdleTimer();
    this.conn.send('USR', trid, 'OK', handle, name);
  }

  /** ANS (MSNP5.md 11.4): an invitee joins; it gets the roster, the others get JOI. */
  private async answer(trid: string, rawHandle: string, cookie: string, sessionId: string): Promise<void> {
    const handle = normalizeHandle(rawHandle);
    const grant = await this.ctx.bus.tokens.consume('rng', cookie);
    const chat = grant && grant.handle === handle && grant.sb === sessionId ? this.board.chat(sessionId) : undefined;
    if (!chat) return this.refuse(trid);
    const name = await this.currentName(handle);
    const admitted =
      name !== undefined &&
      !this.conn.isClosing &&
      !this.board.nsSessionEnded(grant!.ns) &&
      !chat.participants.has(handle) &&
      chat.participants.size < this.ctx.config.limits.switchboardParticipants;
    if (!admitted) {
      // The cookie is used up: the invitation ends now, so that the inviter may CAL again at once
      // instead of getting 215 until the cookie would have expired.
      chat.clearInvitation(handle);
      return this.refuse(trid);
    }
    const roster = [...chat.participants.values()];
    this.chat = chat;
    this.me = new Participant(handle, name, grant!.ns!, this.conn);
    this.board.join(chat, this.me);
    this.admission?.leave();
    this.restartIdleTimer();
    const lines = roster.map((p, i) => encodeLine('IRO', trid, i + 1, roster.length, p.handle, p.name));
    lines.push(encodeLine('ANS', trid, 'OK'));
    this.conn.sendBatch(lines);
    const joined = encodeLine('JOI', handle, name);
    for (const other of roster) other.conn.write(joined);
  }

  private refuse(trid: string): void {
    this.conn.send(String(ErrorCode.AUTHENTICATION_FAILED), trid);
    this.conn.close('bad cookie');
  }

  private async currentName(handle: string): Promise<string | undefined> {
    return (await this.ctx.store.findAccount(handle))?.friendlyName;
  }

  /** CAL (MSNP5.md 11.3): every refusal but 208/215 looks like "offline" (217, D-15). */
  private async call(frame: CommandFrame): Promise<void> {
    const [trid, rawHandle] = frame.args;
    if (frame.args.length !== 2 || !isTrId(trid!)) return this.conn.close('bad CAL');
    const chat = this.chat!;
    const me = this.me!;
    if (!isValidHandle(rawHandle!)) return this.conn.send(String(ErrorCode.INVALID_USERNAME), trid!);
    const limits = this.ctx.config.limits;
    // Refused CALs per account on every node (MSNP5.md 14), across all its switchboard connections:
    // a new connection does not start a new count, so probing who is online stays slow.
    const refusals = rateLimit(this.ctx.bus.rates, `refused-calls:${me.handle}`, limits.refusedCalls, limits.refusedCallWindowMs);
    if (await refusals.usedUp()) {
      return this.conn.send(String(ErrorCode.USER_TOO_ACTIVE), trid!);
    }
    const handle = normalizeHandle(rawHandle!);
    if (handle === me.handle || chat.participants.has(handle) || chat.invited.has(handle)) {
      return this.conn.send(String(ErrorCode.ALREADY_THERE), trid!);
    }
    const full = chat.participants.size + chat.invited.size >= limits.switchboardParticipants;
    const rang =
      !full &&
      (await this.ctx.bus.ring(handle, {
        sessionId: chat.id,
        address: this.ctx.address(),
        caller: me.handle,
        callerName: me.name,
      }));
    if (!rang) {
      await refusals.use();
      return this.conn.send(String(ErrorCode.NOT_ONLINE), trid!);
    }
    chat.invited.set(
      handle,
      setTimeout(() => chat.invited.delete(handle), limits.ringCookieMs).unref(),
    );
    this.conn.send('CAL', trid!, 'RINGING', chat.id);
  }

  /** MSG (MSNP5.md 11.6): the same bytes to every other participant, re-headed; ACK/NAK by mode. */
  private message(frame: CommandFrame): void {
    const [trid, mode] = frame.args;
    if (frame.args.length !== 3 || !isTrId(trid!) || !MESSAGE_MODES.has(mode!) || !frame.payload) {
      return this.conn.close('bad MSG');
    }
    const me = this.me!;
    const others = this.chat!.others(me.handle);
    const relayed = encodePayloadCommand('MSG', [me.handle, me.name], frame.payload);
    let delivered = others.length > 0;
    for (const other of others) {
      if (other.conn.isClosing) delivered = false;
      else other.conn.write(relayed);
    }
    // D-20: nobody else present counts as a failed delivery.
    if (mode === 'A' && delivered) this.conn.send('ACK', trid!);
    else if (mode !== 'U' && !delivered) this.conn.send('NAK', trid!);
  }

  /** MSNP5.md 11.7: an idle participant is removed with `BYE handle 1`. */
  private restartIdleTimer(): void {
    this.conn.setTimer(this.ctx.config.limits.switchboardIdleMs, 'idle', () => {
      this.left(true);
    });
  }
}
