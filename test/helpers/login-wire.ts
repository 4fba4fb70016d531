// Wire-level helpers for the login, dispatch, lifecycle and limits suites: exact-line expectations,
// expected closes, fresh accounts and raw DS/NS logins with the TrIDs of sessions.md session 1.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { MsnpConnection } from '../../src/client/connection.ts';
import type { Received } from '../../src/client/received.ts';
import type { TestMsnd } from './msnd.ts';

/** The VER list of an MSNP5 client (sessions.md session 1). */
export const MSNP5_CLIENT = ['MSNP5', 'MSNP4', 'CVR0'] as const;

/** The CVR parameters after the TrID of a Messenger 3.0 client (sessions.md session 1). */
export const CVR_ARGS = ['0x0409', 'win', '4.10', 'i386', 'MSMSGS', '3.0.0286', 'MSMSGS'] as const;

export interface User {
  handle: string;
  password: string;
  /** the friendly name as stored and sent (%-encoded) */
  wireName: string;
}

let counter = 0;

/** A new account with a unique handle, so that tests never share one. */
export async function newUser(s: TestMsnd, prefix = 'user', options: { verified?: boolean } = {}): Promise<User> {
  counter += 1;
  const handle = `${prefix.toLowerCase()}${counter}@example.com`;
  const password = `pass-${prefix}-${counter}`;
  const name = `${prefix} ${counter}`;
  await s.addUser({ handle, password, name, verified: options.verified });
  return { handle, password, wireName: name.replaceAll(' ', '%20') };
}

/** md5hex(challenge ++ password), computed here and not with the server's code (MSNP5.md 6.2). */
export function md5hex(challenge: string, password: string): string {
  return createHash('md5')
    .update(challenge + password, 'utf8')
    .digest('hex');
}

/** Takes the very next received line and checks it whole (a RegExp must match all of it). */
export async function expectLine(conn: MsnpConnection, expected: string | RegExp, timeoutMs = 10_000): Promise<Received> {
  const r = await conn.next(undefined, timeoutMs);
  if (typeof expected === 'string') assert.equal(r.line, expected);
  else assert.match(r.line, expected);
  return r;
}

/**
 * Waits until the server has closed the connection; the lines received before that and not yet
 * taken must be exactly `expected` (none by default: a silent close).
 */
export async function expectClose(conn: MsnpConnection, expected: readonly string[] = [], timeoutMs = 10_000): Promise<void> {
  await conn.waitClosed(timeoutMs);
  assert.deepEqual(
    conn.drain().map((r) => r.line),
    expected,
  );
  assert.notEqual(conn.closeReason, 'closed by client');
}

/** The connection is still served: PNG is answered with QNG and nothing else is waiting. */
export async function expectOpen(conn: MsnpConnection): Promise<void> {
  assert.deepEqual(
    conn.drain().map((r) => r.line),
    [],
  );
  conn.send('PNG');
  await expectLine(conn, 'QNG');
  assert.equal(conn.isClosed, false);
}

/** `VER 1 …` on a fresh connection; every offered dialect is expected back (all supported). */
export async function negotiatedConn(
  s: TestMsnd,
  server: 'ns' | 'ds',
  dialects: readonly string[] = MSNP5_CLIENT,
): Promise<MsnpConnection> {
  const conn = await s.connect(server);
  conn.send('VER', 1, ...dialects);
  await expectLine(conn, `VER 1 ${dialects.join(' ')}`);
  return conn;
}

/** VER 1, INF 2, `USR 3 MD5 I handle` on a fresh NS connection; returns it and the challenge. */
export async function challengedNs(
  s: TestMsnd,
  handle: string,
  dialects: readonly string[] = MSNP5_CLIENT,
): Promise<{ conn: MsnpConnection; challenge: string }> {
  const conn = await negotiatedConn(s, 'ns', dialects);
  conn.send('INF', 2);
  await expectLine(conn, 'INF 2 MD5');
  conn.send('USR', 3, 'MD5', 'I', handle);
  const r = await expectLine(conn, /^USR 3 MD5 S \d+\.\d{9}$/);
  return { conn, challenge: r.args[3]! };
}

/** The whole NS login (VER 1 … USR 4 MD5 S) of an MSNP2–5 client; returns the USR OK and profile lines. */
export async function signedInNs(
  s: TestMsnd,
  user: User,
  dialects: readonly string[] = MSNP5_CLIENT,
): Promise<{ conn: MsnpConnection; ok: Received; profile: Received }> {
  const { conn, challenge } = await challengedNs(s, user.handle, dialects);
  conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, user.password));
  const ok = await expectLine(conn, `USR 4 OK ${user.handle} ${user.wireName}`);
  const profile = await expectLine(conn, /^MSG Hotmail Hotmail \d+$/);
  return { conn, ok, profile };
}
