// A switchboard session (MSNP5.md 11): a chat opened with XFR SB + USR, or joined from an RNG with
// ANS. Participants and received messages are kept up to date from every received line, whoever
// takes it from the inbox; wire access stays available through `conn`.
import { EventEmitter } from 'node:events';
import type { MsnClient } from './client.ts';
import { MsnpConnection } from './connection.ts';
import type { ConnectOptions } from './connection.ts';
import { MsnpError, UnexpectedReplyError } from './errors.ts';
import { acceptReply, exchange } from './exchange.ts';
import { headerValue, parseMime } from './mime.ts';
import { errorCodeOf, isErrorCode, isReplyTo } from './received.ts';
import type { Received } from './received.ts';
import { switchboardInvitation } from './referrals.ts';
import type { SwitchboardInvitation, SwitchboardTicket } from './referrals.ts';

/** Acknowledgement mode of a client MSG (MSNP5.md 11.6): U never, N NAK on failure, A ACK or NAK. */
export type MessageMode = 'U' | 'N' | 'A';

/** The font line of session 12 (MSNP5.md 12.4). */
export const DEFAULT_IM_FORMAT = 'FN=MS%20Sans%20Serif; EF=; CO=0; CS=0; PF=0';

/** A relayed message: `MSG <from> <name> <len>` and its payload. */
export interface SwitchboardMessage {
  from: string;
  /** the sender's friendly name, %-encoded as on the wire */
  name: string;
  payload: Buffer;
  /** the Content-Type header ('' when there is none) */
  contentType: string;
  headers: Record<string, string>;
  /** the payload after the header block, as UTF-8 text */
  body: string;
}

export interface SendOptions {
  mode?: MessageMode;
  /** the X-MMS-IM-Format header; null leaves it out (default DEFAULT_IM_FORMAT) */
  format?: string | null;
}

export interface SwitchboardEvents {
  /** every relayed MSG, in arrival order */
  message: [message: SwitchboardMessage];
  /** JOI: someone joined (not sent for the IRO roster of an ANS) */
  joined: [handle: string, name: string];
  /** BYE: someone left; idle is true for `BYE handle 1` (removed by the server) */
  left: [handle: string, idle: boolean];
  ack: [trId: number];
  nak: [trId: number];
  closed: [];
}

/** A message sent in mode A was not delivered to everyone: the server answered `NAK t`. */
export class NotDeliveredError extends Error {
  override name = 'NotDeliveredError';

  constructor(readonly trId: number) {
    super(`MSG ${trId} was not delivered (NAK ${trId})`);
  }
}

/**
 * One switchboard connection. Conventions as in MsnClient: command methods resolve with what the
 * server answered and reject with MsnpError (`.code`) on an error code.
 */
export class SwitchboardSession extends EventEmitter<SwitchboardEvents> {
  readonly conn: MsnpConnection;
  /** this user's handle */
  readonly handle: string;
  /** this user's name as the SB reported it (USR OK), or as the caller passed it (ANS) */
  friendlyName: string | undefined;
  /** the session id: from the invitation, or from the first `CAL … RINGING` */
  sessionId: string | undefined;
  /** the other participants, handle → name, in join order (IRO, JOI, BYE) */
  readonly participants = new Map<string, string>();
  /** every relayed message received so far */
  readonly messages: SwitchboardMessage[] = [];

  private constructor(conn: MsnpConnection, handle: string) {
    super();
    this.conn = conn;
    this.handle = handle;
    conn.on('received', (r) => this.#onReceived(r));
    conn.on('closed', () => this.emit('closed'));
  }

  /** XFR SB on the client's NS session, then USR on the SB: a new session with this user alone. */
  static async open(client: MsnClient, opts: ConnectOptions = { connector: client.connector }): Promise<SwitchboardSession> {
    return SwitchboardSession.create(client.handle, await client.requestSwitchboard(), opts);
  }

  /** Joins an invitation (from the client's `ring` event, or the RNG line itself) with ANS. */
  static answer(
    client: MsnClient,
    invitation: SwitchboardInvitation | Received,
    opts: ConnectOptions = { connector: client.connector },
  ): Promise<SwitchboardSession> {
    return SwitchboardSession.join(client.handle, invitation, opts, client.friendlyName);
  }

  /** `USR t handle cookie` with an XFR SB ticket; a refused cookie rejects with MsnpError 911. */
  static async create(handle: string, ticket: SwitchboardTicket, opts: ConnectOptions = {}): Promise<SwitchboardSession> {
    const session = new SwitchboardSession(await MsnpConnection.connect(ticket.host, ticket.port, opts, 'sb'), handle);
    return session.#authenticate(async () => {
      const ex = await exchange(session.conn, 'USR', [handle, ticket.cookie]);
      const reply = acceptReply(ex, (r) => r.name === 'USR' && r.args[1] === 'OK', 'USR t OK handle name');
      session.friendlyName = reply.args[3];
    });
  }

  /** `ANS t handle cookie sessid`, collecting the IRO roster until `ANS t OK`. */
  static async join(
    handle: string,
    invitation: SwitchboardInvitation | Received,
    opts: ConnectOptions = {},
    friendlyName?: string,
  ): Promise<SwitchboardSession> {
    const invite = 'line' in invitation ? switchboardInvitation(invitation) : invitation;
    if (!invite) throw new TypeError(`not an RNG invitation: ${(invitation as Received).line}`);
    const session = new SwitchboardSession(await MsnpConnection.connect(invite.host, invite.port, opts, 'sb'), handle);
    session.friendlyName = friendlyName;
    session.sessionId = invite.sessionId;
    return session.#authenticate(() => session.#answer(invite));
  }

  /** CAL: resolves with the session id of `CAL t RINGING id`; 208/215/217/713 reject with MsnpError. */
  async invite(handle: string): Promise<string> {
    const ex = await exchange(this.conn, 'CAL', [handle]);
    const reply = acceptReply(ex, (r) => r.name === 'CAL' && r.args[1] === 'RINGING', 'CAL t RINGING id');
    this.sessionId ??= reply.args[2];
    return reply.args[2] ?? '';
  }

  /** A text/plain message (MSNP5.md 12.4); resolves as sendPayload does. */
  send(text: string, { mode = 'N', format = DEFAULT_IM_FORMAT }: SendOptions = {}): Promise<number> {
    const head = ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8'];
    if (format !== null) head.push(`X-MMS-IM-Format: ${format}`);
    return this.sendPayload(mode, `${head.join('\r\n')}\r\n\r\n${text}`);
  }

  /** A typing notification, mode U (MSNP5.md 12.5). */
  sendTyping(): Promise<number> {
    const payload = `MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: ${this.handle}\r\n\r\n\r\n`;
    return this.sendPayload('U', payload);
  }

  /**
   * `MSG t mode len` + payload (a string is sent as UTF-8). Resolves with the TrID: at once for U and
   * N (a NAK for N arrives as a 'nak' event), after the ACK for A; a NAK for A rejects with
   * NotDeliveredError.
   */
  async sendPayload(mode: MessageMode, payload: Buffer | string): Promise<number> {
    const trId = this.conn.nextTrId();
    this.conn.sendPayload('MSG', [trId, mode], payload);
    if (mode !== 'A') return trId;
    const reply = await this.conn.next(isReplyTo(trId));
    if (reply.name === 'ACK') return trId;
    if (reply.name === 'NAK') throw new NotDeliveredError(trId);
    const request = `MSG ${trId} ${mode}`;
    const code = errorCodeOf(reply);
    if (code !== undefined) throw new MsnpError(code, request, reply);
    throw new UnexpectedReplyError(request, reply, 'ACK or NAK');
  }

  /** Takes the next relayed MSG from the inbox. */
  async nextMessage(timeoutMs?: number): Promise<SwitchboardMessage> {
    return toMessage(await this.conn.next('MSG', timeoutMs));
  }

  /** OUT, then waits for the server to close (it does not reply, MSNP5.md 11.7). */
  async leave(): Promise<void> {
    if (!this.conn.isClosed) this.conn.send('OUT');
    await this.conn.waitClosed();
  }

  /** Drops the connection without OUT (the others see BYE all the same). */
  close(): void {
    this.conn.close();
  }

  async #authenticate(run: () => Promise<void>): Promise<SwitchboardSession> {
    try {
      await run();
      return this;
    } catch (err) {
      this.conn.close();
      throw err;
    }
  }

  async #answer(invite: SwitchboardInvitation): Promise<void> {
    const trId = this.conn.nextTrId();
    this.conn.send('ANS', trId, this.handle, invite.cookie, invite.sessionId);
    const request = ['ANS', trId, this.handle, invite.cookie, invite.sessionId].join(' ');
    for (;;) {
      const reply = await this.conn.next(isReplyTo(trId));
      if (reply.name === 'IRO') continue;
      acceptReply({ request, reply }, (r) => r.name === 'ANS' && r.args[1] === 'OK', 'IRO or ANS t OK');
      return;
    }
  }

  #onReceived(r: Received): void {
    const [first = '', second = ''] = r.args;
    if (r.name === 'IRO') this.participants.set(r.args[3] ?? '', r.args[4] ?? '');
    else if (r.name === 'JOI') {
      this.participants.set(first, second);
      this.emit('joined', first, second);
    } else if (r.name === 'BYE') {
      this.participants.delete(first);
      this.emit('left', first, second === '1');
    } else if (r.name === 'ACK') this.emit('ack', Number(first));
    else if (r.name === 'NAK') this.emit('nak', Number(first));
    else if (r.name === 'MSG' && r.args.length === 3) this.#onMessage(toMessage(r));
  }

  #onMessage(message: SwitchboardMessage): void {
    // The relayed line carries the sender's current name (MSNP5.md 11.6).
    if (this.participants.has(message.from)) this.participants.set(message.from, message.name);
    this.messages.push(message);
    this.emit('message', message);
  }
}

/** A relayed `MSG from name len` line as a message; the payload is parsed as MIME. */
export function toMessage(r: Received): SwitchboardMessage {
  if (r.name !== 'MSG' || r.args.length !== 3 || isErrorCode(r)) {
    throw new UnexpectedReplyError('(switchboard)', r, 'MSG handle name len');
  }
  const payload = r.payload ?? Buffer.alloc(0);
  const { headers, body } = parseMime(payload);
  return {
    from: r.args[0]!,
    name: r.args[1]!,
    payload,
    contentType: headerValue(headers, 'Content-Type') ?? '',
    headers,
    body,
  };
}

/** Waits for the next RNG on an NS session and returns the invitation. */
export async function nextInvitation(client: MsnClient, timeoutMs?: number): Promise<SwitchboardInvitation> {
  const r = await client.conn.next('RNG', timeoutMs);
  const invitation = switchboardInvitation(r);
  if (!invitation) throw new UnexpectedReplyError('(NS)', r, 'RNG id host:port CKI cookie handle name');
  return invitation;
}
