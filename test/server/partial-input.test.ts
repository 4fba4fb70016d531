/**
 * A started line or payload must complete within `limits.partialInputMs` (issue 10 item 6,
 * MSNP5.md 14 as a decision), over TCP: a signed-in NS connection that leaves a line unfinished or
 * sends less than a PAG/SDC payload it announced is closed and signed out (its watchers get FLN); an
 * SB participant that does so with MSG is closed and the others get BYE; pieces of one command do
 * not restart the count; and a command that arrives in slow pieces but completes in time is served.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { nextInvitation, SwitchboardSession } from '../../src/client/switchboard.ts';
import { type TestMsnd, useMsnd } from '../helpers/msnd.ts';
import { closeAll, freshUsers, signIn } from '../helpers/stored-lists.ts';

/** Small, so that the tests are quick; nothing below depends on how long the server takes. */
const BOUND_MS = 300;
const CLOSE_WAIT_MS = 10_000;

const sessions: { close(): void }[] = [];

afterEach(() => {
  closeAll();
  for (const session of sessions.splice(0)) session.close();
});

/** `me` signed in, synced and online, watched by `watcher` (who has `me` on FL and is online too). */
async function watched(s: TestMsnd): Promise<{ me: MsnClient; watcher: MsnClient; handle: string }> {
  const u = await freshUsers(s, { me: 'Me', watcher: 'Watcher' });
  const watcher = await signIn(s, u.watcher, { sync: true, present: true });
  await watcher.add('FL', u.me, 'Me');
  const me = await signIn(s, u.me, { sync: true, present: true });
  assert.equal((await watcher.conn.next('NLN')).line, `NLN NLN ${u.me} Me`);
  return { me, watcher, handle: u.me };
}

async function closedByServer(conn: MsnpConnection): Promise<void> {
  await conn.waitClosed(CLOSE_WAIT_MS);
  assert.equal(conn.closeReason, 'closed by server');
  assert.deepEqual(
    conn.drain().map((r) => r.line),
    [],
    'closed without a reply',
  );
}

/** A chat of two fresh users; returns both participants' SB sessions. */
async function chat(s: TestMsnd): Promise<{ mine: SwitchboardSession; theirs: SwitchboardSession; me: string }> {
  const u = await freshUsers(s, { me: 'Me', other: 'Other' });
  const me = await signIn(s, u.me, { sync: true, present: true });
  const other = await signIn(s, u.other, { sync: true, present: true });
  const mine = await SwitchboardSession.open(me);
  sessions.push(mine);
  await mine.invite(u.other);
  const theirs = await SwitchboardSession.answer(other, await nextInvitation(other));
  sessions.push(theirs);
  await mine.conn.next('JOI');
  return { mine, theirs, me: u.me };
}

describe(`a started line or payload must complete within partialInputMs (${BOUND_MS} ms here)`, () => {
  const s = useMsnd({ limits: { partialInputMs: BOUND_MS, challengeFirstMs: 600_000 } });

  test('NS, signed in: a line without its end closes the connection; watchers get FLN', async () => {
    const { me, watcher, handle } = await watched(s);
    me.conn.sendRaw('CHG 10 AW');
    await closedByServer(me.conn);
    assert.equal((await watcher.conn.next('FLN', CLOSE_WAIT_MS)).line, `FLN ${handle}`);
  });

  test('NS: PAG announcing 136 bytes and sending fewer closes the connection; watchers get FLN', async () => {
    const { me, watcher, handle } = await watched(s);
    me.conn.sendRaw(`PAG 10 ${handle} 136\r\n<TEXT xml:space="preserve" enc="utf-8">hello`);
    await closedByServer(me.conn);
    assert.equal((await watcher.conn.next('FLN', CLOSE_WAIT_MS)).line, `FLN ${handle}`);
  });

  test('NS: SDC announcing 765 bytes and sending fewer closes the connection; watchers get FLN', async () => {
    const { me, watcher, handle } = await watched(s);
    me.conn.sendRaw('SDC 10 friend@example.net 0x0409 MSMSGS MSMSGS X X Me 765\r\nSee you on Messenger');
    await closedByServer(me.conn);
    assert.equal((await watcher.conn.next('FLN', CLOSE_WAIT_MS)).line, `FLN ${handle}`);
  });

  test('SB: MSG announcing 167 bytes and sending fewer closes the connection; the other participant gets BYE', async () => {
    const { mine, theirs, me } = await chat(s);
    mine.conn.sendRaw('MSG 5 A 167\r\nMIME-Version: 1.0\r\n');
    await closedByServer(mine.conn);
    assert.equal((await theirs.conn.next('BYE', CLOSE_WAIT_MS)).line, `BYE ${me}`);
  });

  test('SB: a line without its end closes the connection too; the other participant gets BYE', async () => {
    const { mine, theirs, me } = await chat(s);
    mine.conn.sendRaw('MSG 5 A 1');
    await closedByServer(mine.conn);
    assert.equal((await theirs.conn.next('BYE', CLOSE_WAIT_MS)).line, `BYE ${me}`);
  });

  test('DS, before login: a line without its end closes the connection (long before unauthenticatedMs)', async () => {
    const ds = await s.connect('ds');
    ds.sendRaw('VER 1 MSNP5');
    await closedByServer(ds);
  });

  test('pieces of one line do not restart the count: a line dripped byte by byte is closed', async () => {
    const { me, watcher, handle } = await watched(s);
    // Far more pieces than fit in the bound at this pace, and far fewer bytes than maxLineBytes.
    for (let i = 0; i < 400 && !me.conn.isClosed; i++) {
      me.conn.sendRaw('X');
      await Promise.race([me.conn.closed, new Promise((resolve) => setTimeout(resolve, 25))]);
    }
    await closedByServer(me.conn);
    assert.equal((await watcher.conn.next('FLN', CLOSE_WAIT_MS)).line, `FLN ${handle}`);
  });
});

describe('a command that arrives slowly but completes within the bound is served', () => {
  // generous: the pauses below add up to a small part of it, however busy the machine
  const s = useMsnd({ limits: { partialInputMs: 20_000, challengeFirstMs: 600_000 } });

  test('NS: a line in three pieces', async () => {
    const { me, watcher, handle } = await watched(s);
    me.conn.sendRaw('CHG 10 ');
    await me.conn.expectNothing(undefined, 150);
    me.conn.sendRaw('AW');
    await me.conn.expectNothing(undefined, 150);
    me.conn.sendRaw('Y\r\n');
    assert.equal((await me.conn.next()).line, 'CHG 10 AWY');
    assert.equal((await watcher.conn.next('NLN')).line, `NLN AWY ${handle} Me`);
    await me.ping();
  });

  test('SB: MSG whose line and payload come in pieces is relayed and acknowledged', async () => {
    const { mine, theirs, me } = await chat(s);
    const payload = 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nslowly';
    mine.conn.sendRaw('MSG 5 A ');
    await mine.conn.expectNothing(undefined, 150);
    mine.conn.sendRaw(`${Buffer.byteLength(payload)}\r\n${payload.slice(0, 20)}`);
    await mine.conn.expectNothing(undefined, 150);
    mine.conn.sendRaw(payload.slice(20));
    assert.equal((await mine.conn.next()).line, 'ACK 5');
    const relayed = await theirs.nextMessage();
    assert.equal(relayed.body, 'slowly');
    assert.equal(relayed.from, me);
  });
});
