// Switchboard test helpers: the cast of sessions.md, its SB payloads, and chats set up over TCP.
import assert from 'node:assert/strict';
import type { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import type { Received } from '../../src/client/received.ts';
import { SwitchboardSession, nextInvitation } from '../../src/client/switchboard.ts';
import type { ServerConfigInput } from '../../src/server/config.ts';
import { REPLY_TIMEOUT_MS, TestMsnd } from './msnd.ts';

export const ALICE = 'alice@example.com';
export const BOB = 'bob@example.com';
export const CAROL = 'carol@example.com';
export const DAVE = 'dave@example.com';

/** sessions.md "Cast and starting data" (names as stored: Alice%20A, …). */
export const CAST = [
  { handle: ALICE, password: 'secret123', name: 'Alice A' },
  { handle: BOB, password: 'bobpass', name: 'Bob B' },
  { handle: CAROL, password: 'carolpass', name: 'Carol C' },
  { handle: DAVE, password: 'davepass', name: 'Dave D' },
];

export const NAMES: Record<string, string> = {
  [ALICE]: 'Alice%20A',
  [BOB]: 'Bob%20B',
  [CAROL]: 'Carol%20C',
  [DAVE]: 'Dave%20D',
};

const crlf = (...lines: string[]): string => lines.join('\r\n');
const MIME = 'MIME-Version: 1.0';
const PLAIN = 'Content-Type: text/plain; charset=UTF-8';
const INVITE = 'Content-Type: text/x-msmsgsinvite; charset=UTF-8';

/** The payloads of sessions.md 12, 13 and 14, with their byte counts checked in `PAYLOAD_LENGTHS`. */
export const PAYLOADS = {
  typingAlice: crlf(MIME, 'Content-Type: text/x-msmsgscontrol', `TypingUser: ${ALICE}`, '', '', ''),
  hiBob: crlf(MIME, PLAIN, 'X-MMS-IM-Format: FN=MS%20Sans%20Serif; EF=; CO=0; CS=0; PF=0', '', 'Hi Bob!'),
  heyAlice: crlf(MIME, PLAIN, '', "Hey Alice, what's up?"),
  anyoneThere: crlf(MIME, PLAIN, '', 'Anyone there?'),
  hiBoth: crlf(MIME, PLAIN, '', 'Hi both!'),
  fileInvite: crlf(
    MIME,
    INVITE,
    '',
    'Application-Name: File Transfer',
    'Application-GUID: {5D3E02AB-6190-11d3-BBBB-00C04F795683}',
    'Invitation-Command: INVITE',
    'Invitation-Cookie: 4242',
    'Application-File: notes.txt',
    'Application-FileSize: 1024',
    '',
    '',
  ),
  fileAccept: crlf(
    MIME,
    INVITE,
    '',
    'Invitation-Command: ACCEPT',
    'Invitation-Cookie: 4242',
    'Launch-Application: FALSE',
    'Request-Data: IP-Address:',
    '',
    '',
  ),
  fileAcceptAddress: crlf(
    MIME,
    INVITE,
    '',
    'Invitation-Command: ACCEPT',
    'Invitation-Cookie: 4242',
    'IP-Address: 192.0.2.10',
    'Port: 6891',
    'AuthCookie: 31337',
    'Launch-Application: FALSE',
    'Request-Data: IP-Address:',
    '',
    '',
  ),
  fileCancel: crlf(MIME, INVITE, '', 'Invitation-Command: CANCEL', 'Invitation-Cookie: 4242', 'Cancel-Code: REJECT', '', ''),
} as const;

/** The byte counts printed in sessions.md for each payload. */
export const PAYLOAD_LENGTHS: Record<keyof typeof PAYLOADS, number> = {
  typingAlice: 90,
  hiBob: 131,
  heyAlice: 83,
  anyoneThere: 75,
  hiBoth: 70,
  fileInvite: 274,
  fileAccept: 180,
  fileAcceptAddress: 235,
  fileCancel: 147,
};

/** msnd's cookie shape: five groups of ten digits (src/bus/memory.ts, MSNP5.md 9.2). */
export const COOKIE = /^\d{10}(\.\d{10}){4}$/;

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A server with the cast signed up; every client opened through `track` is closed by `stop`. */
export class SbWorld {
  private readonly closers: (() => void)[] = [];

  private constructor(readonly s: TestMsnd) {}

  static async start(config: ServerConfigInput = {}): Promise<SbWorld> {
    const s = await TestMsnd.start(config);
    await s.addUsers(...CAST);
    return new SbWorld(s);
  }

  get sbPort(): number {
    return this.s.msnd.ports.sb;
  }

  /** 127.0.0.1:<sb port>, as written into XFR and RNG. */
  get sbAddress(): string {
    return `127.0.0.1:${this.sbPort}`;
  }

  /** Signed in, synced, status set (NLN unless given). */
  async online(handle: string, status = 'NLN'): Promise<MsnClient> {
    return this.track(await this.s.online(handle, status));
  }

  /** Signed in only: no SYN, no CHG (not present yet). */
  async signedIn(handle: string): Promise<MsnClient> {
    return this.track(await this.s.login(handle));
  }

  /** A raw connection to the SB. */
  async sb(): Promise<MsnpConnection> {
    const conn = await MsnpConnection.connect('127.0.0.1', this.sbPort, { timeoutMs: REPLY_TIMEOUT_MS });
    this.closers.push(() => conn.close());
    return conn;
  }

  track<T extends { close(): void }>(thing: T): T {
    this.closers.push(() => thing.close());
    return thing;
  }

  /** XFR SB with an explicit TrID; asserts the exact form and returns the cookie. */
  async xfr(client: MsnClient, trId = 100): Promise<string> {
    client.conn.send('XFR', trId, 'SB');
    const reply = await client.conn.next((r) => r.args[0] === String(trId));
    const match = new RegExp(`^XFR ${trId} SB ${escapeRegExp(this.sbAddress)} CKI (\\S+)$`).exec(reply.line);
    assert.ok(match, `unexpected XFR reply: ${reply.line}`);
    assert.match(match[1]!, COOKIE);
    return match[1]!;
  }

  /** A raw SB connection authenticated with USR (TrID 1); asserts `USR 1 OK handle name`. */
  async create(client: MsnClient): Promise<MsnpConnection> {
    const cookie = await this.xfr(client);
    const conn = await this.sb();
    conn.send('USR', 1, client.handle, cookie);
    assert.equal((await conn.next()).line, `USR 1 OK ${client.handle} ${client.friendlyName}`);
    return conn;
  }

  /** XFR SB + USR with the client library. */
  async open(client: MsnClient): Promise<SwitchboardSession> {
    return this.track(await SwitchboardSession.open(client));
  }

  /** `inviter` CALs `invitee`, who answers the RNG with the client library. */
  async bringIn(inviter: SwitchboardSession, invitee: MsnClient): Promise<SwitchboardSession> {
    await inviter.invite(invitee.handle);
    return this.track(await SwitchboardSession.answer(invitee, await nextInvitation(invitee)));
  }

  /** A chat of the given users, each brought in by the creator, in order; JOIs are taken. */
  async chat(...clients: MsnClient[]): Promise<SwitchboardSession[]> {
    const [first, ...rest] = clients;
    const sessions = [await this.open(first!)];
    for (const client of rest) {
      const joined = await this.bringIn(sessions[0]!, client);
      for (const earlier of sessions) await earlier.conn.next((r) => r.line === `JOI ${client.handle} ${client.friendlyName}`);
      sessions.push(joined);
    }
    return sessions;
  }

  /** Closes every tracked client and SB connection (between tests sharing a server). */
  reset(): void {
    for (const close of this.closers.splice(0)) close();
  }

  async stop(): Promise<void> {
    this.reset();
    await this.s.stop();
  }
}

/** The line a participant receives for a relayed message. */
export function relayedLine(handle: string, name: string, payload: Buffer | string): string {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  return `MSG ${handle} ${name} ${length}`;
}

/** Asserts a relayed MSG: exact line and exact payload bytes. */
export function assertRelayed(r: Received, handle: string, name: string, payload: Buffer | string): void {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  assert.equal(r.line, relayedLine(handle, name, bytes));
  assert.ok(r.payload, 'relayed MSG without payload');
  assert.ok(r.payload.equals(bytes), `payload differs: ${JSON.stringify(r.payload.toString('latin1'))}`);
}

/** Resolves when the connection has been closed by the server; asserts nothing else arrived. */
export async function assertClosedSilently(conn: MsnpConnection, timeoutMs = 10_000): Promise<void> {
  await conn.waitClosed(timeoutMs);
  assert.equal(conn.closeReason, 'closed by server');
  assert.deepEqual(
    conn.drain().map((r) => r.line),
    [],
  );
}
