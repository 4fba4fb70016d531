// Helpers for the wire tests of the stored lists, settings and phones (test/server/sync, lists,
// settings, phones): fresh accounts per test, exact request/reply exchanges, and store look-ups.
import assert from 'node:assert/strict';
import type { MsnClient } from '../../src/client/client.ts';
import type { Arg, MsnpConnection } from '../../src/client/connection.ts';
import { isReplyTo } from '../../src/client/received.ts';
import type { Received } from '../../src/client/received.ts';
import type { Account, ContactEntry, Phones } from '../../src/core/types.ts';
import { md5Response } from '../../src/protocol/md5.ts';
import { ask } from './ask.ts';
import { closeTracked, PASSWORD, type TestMsnd, track } from './msnd.ts';

export { PASSWORD } from './msnd.ts';

/** Per-test users on `s` (see TestMsnd.users): handles no other test uses, password PASSWORD. */
export function freshUsers<K extends string>(s: TestMsnd, names: Record<K, string>): Promise<Record<K, string>> {
  return s.users(names);
}

export interface SignInOptions {
  /** send `SYN 0` (the session becomes synced); default false */
  sync?: boolean;
  /** send a first `CHG NLN` (the session becomes present); default false */
  present?: boolean;
  dialects?: string[];
}

/** Signs in (through the DS) and optionally syncs and goes online; the inbox is empty afterwards. */
export async function signIn(s: TestMsnd, handle: string, opts: SignInOptions = {}): Promise<MsnClient> {
  const client = track(await s.login(handle, opts.dialects ? { dialects: opts.dialects } : {}));
  if (opts.sync) await client.sync(0);
  if (opts.present) await client.changeStatus('NLN');
  await barrier(client.conn);
  client.conn.drain();
  return client;
}

/**
 * Closes every client signIn and rawLogin opened, so that tests do not see each other's sessions
 * (useMsnd does it after each test; call it mid-test to end every session so far).
 */
export function closeAll(): void {
  closeTracked();
}

/**
 * PNG → QNG. The server handles a connection's commands and bus events strictly in order, so
 * everything delivered to this session before the PNG has been written once QNG arrives.
 */
export async function barrier(conn: MsnpConnection): Promise<void> {
  conn.send('PNG');
  await conn.next('QNG');
}

/** Asserts that nothing is waiting in the inbox after a barrier: no line was sent to this session. */
export async function assertNothingMore(conn: MsnpConnection): Promise<void> {
  await barrier(conn);
  assert.deepEqual(lines(conn.drain()), []);
}

/**
 * Sends `name trid args…` and collects the lines answering it (and BPR lines, which carry no
 * TrID) until `isLast`; then asserts that nothing else was sent to this session.
 */
export async function askLines(
  conn: MsnpConnection,
  name: string,
  trid: number | string,
  args: Arg[],
  isLast: (r: Received) => boolean,
): Promise<string[]> {
  conn.send(name, trid, ...args);
  const matches = (r: Received): boolean => isReplyTo(trid)(r) || r.name === 'BPR';
  const got: Received[] = [];
  for (;;) {
    const r = await conn.next(matches);
    got.push(r);
    if (isLast(r) || /^[0-9]{3}$/.test(r.name)) break;
  }
  await assertNothingMore(conn);
  return lines(got);
}

/** The last line of a SYN dump: the last `LST t RL` line (`i = n`, or `0 0`). */
export function isSyncEnd(r: Received): boolean {
  return r.name === 'LST' && r.args[1] === 'RL' && r.args[3] === r.args[4];
}

/** The last line of an LST answer. */
export function isListEnd(r: Received): boolean {
  return r.name === 'LST' && r.args[3] === r.args[4];
}

/** `SYN trid version`, expecting a full dump: every line of it. */
export function synDump(conn: MsnpConnection, trid: number | string, version: number | string = 0): Promise<string[]> {
  return askLines(conn, 'SYN', trid, [version], isSyncEnd);
}

/** `LST trid list`: every line of the answer. */
export function listLines(conn: MsnpConnection, trid: number | string, list: string): Promise<string[]> {
  return askLines(conn, 'LST', trid, [list], isListEnd);
}

/** Asserts the server closes the connection without having sent anything (else) first. */
export async function assertClosed(conn: MsnpConnection): Promise<void> {
  await conn.waitClosed(3000);
  assert.equal(conn.closeReason, 'closed by server');
  assert.deepEqual(lines(conn.drain()), []);
}

export function lines(received: readonly Received[]): string[] {
  return received.map((r) => r.line);
}

export async function account(s: TestMsnd, handle: string): Promise<Account> {
  const found = await s.store.findAccount(handle);
  assert.ok(found, `no account ${handle}`);
  return found;
}

export async function versionOf(s: TestMsnd, handle: string): Promise<number> {
  return (await account(s, handle)).listVersion;
}

/** The owner's contact records as stored, keyed by handle. */
export async function storedContacts(s: TestMsnd, owner: string): Promise<Map<string, ContactEntry>> {
  const { id } = await account(s, owner);
  const entries = await s.store.transaction((tx) => tx.contacts(id));
  return new Map(entries.map((e) => [e.handle, e]));
}

/** The stored record of one contact as `{ name, FL, AL, BL, RL }`, or undefined when there is none. */
export async function storedRecord(
  s: TestMsnd,
  owner: string,
  contact: string,
): Promise<{ name: string; FL: boolean; AL: boolean; BL: boolean; RL: boolean } | undefined> {
  const entry = (await storedContacts(s, owner)).get(contact);
  return entry && { name: entry.name, ...entry.lists };
}

/** Sets phone properties directly in the store (no version change), e.g. MBE, which clients cannot set. */
export async function setPhones(s: TestMsnd, handle: string, phones: Partial<Phones>): Promise<void> {
  const { id } = await account(s, handle);
  await s.store.transaction((tx) => tx.updateAccount(id, { phones }));
}

/** Raises the account's list version to `target` (for replaying sessions.md with its numbers). */
export async function raiseVersion(s: TestMsnd, handle: string, target: number): Promise<void> {
  const { id, listVersion } = await account(s, handle);
  assert.ok(listVersion <= target, `${handle} is already at version ${listVersion} > ${target}`);
  await s.store.transaction(async (tx) => {
    for (let v = listVersion; v < target; v += 1) await tx.bumpVersion(id);
  });
}

/** A line as raw bytes: text (latin1) with `bytes` spliced in where `{}` is, then CR LF. */
export function rawLine(template: string, bytes: Buffer): Buffer {
  const [before = '', after = ''] = template.split('{}');
  return Buffer.concat([Buffer.from(before, 'latin1'), bytes, Buffer.from(`${after}\r\n`, 'latin1')]);
}

/**
 * Signs in on the NS directly, at the wire level (VER 1, INF 2, USR 3, USR 4), and returns the
 * connection with the exact `USR 4 OK …` line; the profile message has been taken.
 */
export async function rawLogin(s: TestMsnd, handle: string): Promise<{ conn: MsnpConnection; ok: string }> {
  const conn = await s.connect('ns');
  await ask(conn, 'VER', 1, 'MSNP5', 'MSNP4', 'CVR0');
  await ask(conn, 'INF', 2);
  const challenge = (await ask(conn, 'USR', 3, 'MD5', 'I', handle)).split(' ')[4] ?? '';
  const ok = await ask(conn, 'USR', 4, 'MD5', 'S', md5Response(challenge, PASSWORD));
  await conn.next('MSG');
  track(conn);
  return { conn, ok };
}
