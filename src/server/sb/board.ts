// The Switchboard Server's sessions (MSNP5.md 11.1, 11.7, 10.6): chats, participants, invitations.
import { randomInt } from 'node:crypto';
import type { Transport } from '../transport.ts';
import type { Logger } from 'pino';
import type { Bus, Signal } from '../../core/bus.ts';
import type { Store } from '../../core/store.ts';
import { encodeLine } from '../../protocol/line.ts';
import type { ServerConfig } from '../config.ts';
import type { Admission } from '../admission.ts';
import type { Connection } from '../connection.ts';
import type { ServerMetrics } from '../metrics.ts';
import { SwitchboardConnection } from './connection.ts';

export interface SwitchboardContext {
  config: ServerConfig;
  log: Logger;
  store: Store;
  bus: Bus;
  metrics: ServerMetrics;
  /** host:port of this SB, written into RNG. */
  address(): string;
}

/** One participant's connection to a switchboard session. */
export class Participant {
  constructor(
    readonly handle: string,
    public name: string,
    readonly nsSessionId: string,
    readonly conn: Connection,
  ) {}
}

/** A chat: an ordered set of participants and who has been invited (MSNP5.md 11.1). */
export class ChatSession {
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
    ctx.bus.signals.on((signal) => this.onSignal(signal));
  }

  /** `admission`: the connection's place among those before USR/ANS OK (admission.ts). */
  accept(transport: Transport, admission?: Admission): void {
    const connection = new SwitchboardConnection(transport, this, this.ctx, admission);
    this.connections.add(connection.conn);
    void connection.conn.closed.then(() => this.connections.delete(connection.conn));
  }

  get context(): SwitchboardContext {
    return this.ctx;
  }

  /** Closes every switchboard connection (shutdown). */
  closeAll(): void {
    for (const conn of this.connections) conn.close('shutdown');
  }

  get sessionCount(): number {
    return this.chats.size;
  }

  /** Joined participants of every session of this node. */
  get participantCount(): number {
    let count = 0;
    for (const chat of this.chats.values()) count += chat.participants.size;
    return count;
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
