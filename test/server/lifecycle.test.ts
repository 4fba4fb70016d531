/**
 * The end of an NS session over TCP (MSNP5.md 2, 6.3, 9.26, 10.6, D-12..D-14, D-19; sessions.md 7,
 * 15, 18): OUT, OUT OTH on a second (and third) login, OUT SSD on shutdown, dropped connections,
 * and the switchboard connections and cookies that end with the NS session.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import { switchboardInvitation } from '../../src/client/referrals.ts';
import { TestMsnd, useMsnd } from '../helpers/msnd.ts';
import {
  challengedNs,
  expectClose,
  expectLine,
  expectOpen,
  md5hex,
  negotiatedConn,
  newUser,
  signedInNs,
  type User,
} from '../helpers/login-wire.ts';

const s = useMsnd();

/** A signed-in, present (CHG NLN) raw NS connection of `user`. */
async function present(user: User, server = s): Promise<MsnpConnection> {
  const { conn } = await signedInNs(server, user);
  conn.send('CHG', 5, 'NLN');
  await expectLine(conn, 'CHG 5 NLN');
  return conn;
}

/** An online user who has `watched` on FL (and whom `watched` allows, BLP AL by default). */
async function watcherOf(watched: User, server = s): Promise<MsnClient> {
  const watcherUser = await newUser(server, 'watcher');
  const watcher = await server.online(watcherUser.handle);
  const added = await watcher.add('FL', watched.handle, watched.wireName);
  // After SYN, ADD FL is followed by the contact's BPR lines (MSNP5.md 9.8); nothing else.
  const version = added.args[2];
  assert.deepEqual(
    watcher.conn.drain().map((r) => r.line),
    ['PHH', 'PHW', 'PHM', 'MOB N'].map((p) => `BPR ${version} ${watched.handle} ${p}`),
  );
  return watcher;
}

/** Logs `user` in, present, and checks that the watcher sees NLN. */
async function presentAndSeen(user: User, watcher: MsnClient): Promise<MsnpConnection> {
  const conn = await present(user);
  await expectLine(watcher.conn, `NLN NLN ${user.handle} ${user.wireName}`);
  return conn;
}

/** A switchboard connection of `client` (present), joined with a fresh XFR SB cookie. */
async function switchboardOf(client: MsnClient, user: User): Promise<MsnpConnection> {
  const ticket = await client.requestSwitchboard();
  const sb = await MsnpConnection.connect(ticket.host, ticket.port);
  sb.send('USR', 1, user.handle, ticket.cookie);
  await expectLine(sb, `USR 1 OK ${user.handle} ${user.wireName}`);
  return sb;
}

describe('OUT (MSNP5.md 9.26, D-19)', () => {
  test('OUT → OUT, then close; the watcher gets FLN', async () => {
    const alice = await newUser(s, 'alice');
    const watcher = await watcherOf(alice);
    const conn = await presentAndSeen(alice, watcher);
    conn.send('OUT');
    await expectClose(conn, ['OUT']);
    await expectLine(watcher.conn, `FLN ${alice.handle}`);
    await watcher.conn.expectNothing(undefined, 100);
    watcher.close();
  });

  test('the client library: signOut() sees OUT and the close', async () => {
    const alice = await newUser(s, 'libout');
    const client = await s.online(alice.handle);
    await client.signOut();
    assert.equal(client.conn.closeReason, 'closed by server');
  });

  test('a session that never sent CHG signs out without any FLN (it was never shown)', async () => {
    const alice = await newUser(s, 'absent');
    const watcher = await watcherOf(alice);
    const { conn } = await signedInNs(s, alice);
    conn.send('OUT');
    await expectClose(conn, ['OUT']);
    await watcher.conn.expectNothing(undefined, 200);
    watcher.close();
  });

  test('D-12: HDN then OUT gives one FLN only (at HDN)', async () => {
    const alice = await newUser(s, 'hidden');
    const watcher = await watcherOf(alice);
    const conn = await presentAndSeen(alice, watcher);
    conn.send('CHG', 6, 'HDN');
    await expectLine(conn, 'CHG 6 HDN');
    await expectLine(watcher.conn, `FLN ${alice.handle}`);
    conn.send('OUT');
    await expectClose(conn, ['OUT']);
    await watcher.conn.expectNothing(undefined, 200);
    watcher.close();
  });

  test('a watcher whom the user blocks sees neither NLN nor FLN (MSNP5.md 10)', async () => {
    const alice = await newUser(s, 'blocker');
    const watcher = await watcherOf(alice);
    const { conn } = await signedInNs(s, alice);
    conn.send('ADD', 5, 'BL', watcher.handle, watcher.handle);
    await expectLine(conn, new RegExp(`^ADD 5 BL \\d+ ${watcher.handle} ${watcher.handle}$`));
    conn.send('CHG', 6, 'NLN');
    await expectLine(conn, 'CHG 6 NLN');
    conn.send('OUT');
    await expectClose(conn, ['OUT']);
    await watcher.conn.expectNothing(undefined, 200);
    watcher.close();
  });

  test('after OUT the account signs in again and is shown again', async () => {
    const alice = await newUser(s, 'again');
    const watcher = await watcherOf(alice);
    const first = await presentAndSeen(alice, watcher);
    first.send('OUT');
    await expectClose(first, ['OUT']);
    await expectLine(watcher.conn, `FLN ${alice.handle}`);
    const second = await presentAndSeen(alice, watcher);
    await expectOpen(second);
    second.close();
    watcher.close();
  });
});

describe('a dropped connection is a sign-out (MSNP5.md 3.7, 10.6)', () => {
  test('the client destroys its socket: the watcher gets FLN', async () => {
    const alice = await newUser(s, 'dropped');
    const watcher = await watcherOf(alice);
    const conn = await presentAndSeen(alice, watcher);
    conn.close();
    await expectLine(watcher.conn, `FLN ${alice.handle}`);
    watcher.close();
  });

  test('the client half-closes (FIN): the watcher gets FLN and the server closes too', async () => {
    const alice = await newUser(s, 'halfclosed');
    const watcher = await watcherOf(alice);
    const conn = await presentAndSeen(alice, watcher);
    conn.end();
    await conn.waitClosed(3000);
    assert.deepEqual(
      conn.drain().map((r) => r.line),
      [],
    );
    await expectLine(watcher.conn, `FLN ${alice.handle}`);
    watcher.close();
  });

  test('a connection closed by the server for bad input is a sign-out too', async () => {
    const alice = await newUser(s, 'kicked');
    const watcher = await watcherOf(alice);
    const conn = await presentAndSeen(alice, watcher);
    conn.sendRaw('FOO 6\r\n');
    await expectClose(conn);
    await expectLine(watcher.conn, `FLN ${alice.handle}`);
    watcher.close();
  });
});

describe('second login: OUT OTH (MSNP5.md 2, 6.3, 10.6, D-14; sessions.md 15)', () => {
  test('the first connection gets OUT OTH and is closed; the watcher gets FLN, then NLN at the new CHG', async () => {
    const alice = await newUser(s, 'twice');
    const watcher = await watcherOf(alice);
    const first = await presentAndSeen(alice, watcher);

    const second = await signedInNs(s, alice);
    await expectClose(first, ['OUT OTH']);
    await expectLine(watcher.conn, `FLN ${alice.handle}`);
    // The new session is invisible until its first CHG.
    await watcher.conn.expectNothing(undefined, 200);
    // Up to date: the watcher's ADD FL made the version 2 (8.4), so SYN 2 answers only SYN.
    second.conn.send('SYN', 5, 2);
    await expectLine(second.conn, 'SYN 5 2');
    second.conn.send('CHG', 6, 'NLN');
    await expectLine(second.conn, 'CHG 6 NLN');
    await expectLine(watcher.conn, `NLN NLN ${alice.handle} ${alice.wireName}`);
    await expectOpen(second.conn);
    second.conn.close();
    watcher.close();
  });

  test('a third login while the second is in place works the same way', async () => {
    const alice = await newUser(s, 'thrice');
    const watcher = await watcherOf(alice);
    const first = await presentAndSeen(alice, watcher);
    const second = await present(alice);
    await expectClose(first, ['OUT OTH']);
    await expectLine(watcher.conn, `FLN ${alice.handle}`);
    await expectLine(watcher.conn, `NLN NLN ${alice.handle} ${alice.wireName}`);

    const third = await signedInNs(s, alice);
    await expectClose(second, ['OUT OTH']);
    await expectLine(watcher.conn, `FLN ${alice.handle}`);
    await watcher.conn.expectNothing(undefined, 200);
    third.conn.send('CHG', 5, 'BSY');
    await expectLine(third.conn, 'CHG 5 BSY');
    await expectLine(watcher.conn, `NLN BSY ${alice.handle} ${alice.wireName}`);
    await expectOpen(third.conn);
    third.conn.close();
    watcher.close();
  });

  test('D-12: a third login before the second sent CHG gives the watcher no second FLN', async () => {
    const alice = await newUser(s, 'quick');
    const watcher = await watcherOf(alice);
    const first = await presentAndSeen(alice, watcher);
    const second = await signedInNs(s, alice);
    await expectClose(first, ['OUT OTH']);
    await expectLine(watcher.conn, `FLN ${alice.handle}`);
    const third = await signedInNs(s, alice);
    await expectClose(second.conn, ['OUT OTH']);
    await watcher.conn.expectNothing(undefined, 200);
    third.conn.send('CHG', 5, 'NLN');
    await expectLine(third.conn, 'CHG 5 NLN');
    await expectLine(watcher.conn, `NLN NLN ${alice.handle} ${alice.wireName}`);
    third.conn.close();
    watcher.close();
  });

  test('the client library sees OUT OTH as an out event with reason OTH', async () => {
    const alice = await newUser(s, 'libother');
    const first = await s.online(alice.handle);
    const reasons: string[] = [];
    first.on('out', (reason) => reasons.push(reason));
    const second = await s.login(alice.handle);
    await first.conn.waitClosed(3000);
    assert.deepEqual(reasons, ['OTH']);
    second.close();
  });

  test('a login that is only challenged, or that fails, does not disturb the signed-in session', async () => {
    const alice = await newUser(s, 'stays');
    const watcher = await watcherOf(alice);
    const first = await presentAndSeen(alice, watcher);
    const pending = await challengedNs(s, alice.handle);
    const failing = await challengedNs(s, alice.handle);
    failing.conn.send('USR', 4, 'MD5', 'S', md5hex(failing.challenge, 'wrong'));
    await expectClose(failing.conn, ['911 4']);
    await expectOpen(first);
    await watcher.conn.expectNothing(undefined, 100);
    pending.conn.close();
    first.close();
    watcher.close();
  });

  test('the other accounts’ sessions are not touched by a second login', async () => {
    const alice = await newUser(s, 'otherA');
    const bob = await newUser(s, 'otherB');
    const bobConn = await present(bob);
    const first = await present(alice);
    const second = await signedInNs(s, alice);
    await expectClose(first, ['OUT OTH']);
    await expectOpen(bobConn);
    bobConn.close();
    second.conn.close();
  });
});

describe('switchboard connections end with the NS session (MSNP5.md 10.6, D-13)', () => {
  test('XFR SB + USR on the SB, then OUT on the NS: the SB connection is closed', async () => {
    const alice = await newUser(s, 'sbout');
    const client = await s.online(alice.handle);
    const sb = await switchboardOf(client, alice);
    await client.signOut();
    await expectClose(sb);
  });

  test('a dropped NS connection closes the SB connection', async () => {
    const alice = await newUser(s, 'sbdrop');
    const client = await s.online(alice.handle);
    const sb = await switchboardOf(client, alice);
    client.close();
    await expectClose(sb);
  });

  test('OUT OTH closes the switchboard connections of the old session, not those of the new one', async () => {
    const alice = await newUser(s, 'sbother');
    const first = await s.online(alice.handle);
    const oldSb = await switchboardOf(first, alice);
    const second = await s.online(alice.handle);
    await first.conn.waitClosed(3000);
    await expectClose(oldSb);
    const newSb = await switchboardOf(second, alice);
    await newSb.expectNothing(undefined, 100);
    assert.equal(newSb.isClosed, false);
    newSb.close();
    second.close();
  });

  test('the other participant gets BYE when a user’s NS session ends', async () => {
    const alice = await newUser(s, 'sbcaller');
    const bob = await newUser(s, 'sbcallee');
    const aliceClient = await s.online(alice.handle);
    const bobClient = await s.online(bob.handle);
    const aliceSb = await switchboardOf(aliceClient, alice);
    aliceSb.send('CAL', 2, bob.handle);
    const ringing = await expectLine(aliceSb, /^CAL 2 RINGING \d+$/);
    const rng = switchboardInvitation(await bobClient.conn.next('RNG'));
    assert.ok(rng);
    assert.equal(rng.sessionId, ringing.args[2]);
    const bobSb = await MsnpConnection.connect(rng.host, rng.port);
    bobSb.send('ANS', 1, bob.handle, rng.cookie, rng.sessionId);
    await expectLine(bobSb, `IRO 1 1 1 ${alice.handle} ${alice.wireName}`);
    await expectLine(bobSb, 'ANS 1 OK');
    await expectLine(aliceSb, `JOI ${bob.handle} ${bob.wireName}`);

    aliceClient.close();
    await expectClose(aliceSb);
    await expectLine(bobSb, `BYE ${alice.handle}`);
    assert.equal(bobSb.isClosed, false);
    bobSb.close();
    bobClient.close();
  });

  // The old session is ended by a second login: its sign-out (and the SB's notice of it) is
  // complete before the new session's USR OK is sent (MSNP5.md 6.3), so the order is certain.
  test('an unused XFR SB cookie of an ended session is refused: 911, then close (MSNP5.md 9.2, 10.6)', async () => {
    const alice = await newUser(s, 'sbcookie');
    const first = await s.online(alice.handle);
    const ticket = await first.requestSwitchboard();
    const second = await s.login(alice.handle);
    await first.conn.waitClosed(3000);
    const sb = await MsnpConnection.connect(ticket.host, ticket.port);
    sb.send('USR', 1, alice.handle, ticket.cookie);
    await expectClose(sb, ['911 1']);
    second.close();
  });

  test('a pending RNG cookie of an ended session is refused: 911, then close (MSNP5.md 10.6)', async () => {
    const alice = await newUser(s, 'rngcaller');
    const bob = await newUser(s, 'rngcallee');
    const aliceClient = await s.online(alice.handle);
    const bobFirst = await s.online(bob.handle);
    const aliceSb = await switchboardOf(aliceClient, alice);
    aliceSb.send('CAL', 2, bob.handle);
    await expectLine(aliceSb, /^CAL 2 RINGING \d+$/);
    const rng = switchboardInvitation(await bobFirst.conn.next('RNG'));
    assert.ok(rng);
    const bobSecond = await s.login(bob.handle);
    await bobFirst.conn.waitClosed(3000);
    const bobSb = await MsnpConnection.connect(rng.host, rng.port);
    bobSb.send('ANS', 1, bob.handle, rng.cookie, rng.sessionId);
    await expectClose(bobSb, ['911 1']);
    aliceSb.close();
    aliceClient.close();
    bobSecond.close();
  });
});

describe('shutdown (MSNP5.md 9.26, D-4; sessions.md 18)', () => {
  test('signed-in NS sessions get OUT SSD, then close; unauthenticated NS/DS and SB connections are just closed', async () => {
    const local = await TestMsnd.start();
    try {
      const alice = await newUser(local, 'ssdalice');
      const bob = await newUser(local, 'ssdbob');
      const carol = await newUser(local, 'ssdcarol');
      const aliceClient = await local.online(alice.handle);
      const sb = await switchboardOf(aliceClient, alice);
      const bobConn = (await signedInNs(local, bob)).conn; // signed in, never present
      const connected = await local.connect('ns');
      const negotiated = await negotiatedConn(local, 'ns');
      const challenged = (await challengedNs(local, carol.handle)).conn;
      const ds = await negotiatedConn(local, 'ds');
      aliceClient.conn.drain();

      await local.stop();

      await expectClose(aliceClient.conn, ['OUT SSD']);
      await expectClose(bobConn, ['OUT SSD']);
      for (const conn of [connected, negotiated, challenged, ds, sb]) await expectClose(conn);
    } finally {
      await local.stop(); // idempotent
    }
  });

  test('the client library sees OUT SSD as an out event with reason SSD', async () => {
    const local = await TestMsnd.start();
    try {
      const alice = await newUser(local, 'ssdlib');
      const client = await local.online(alice.handle);
      const reasons: string[] = [];
      client.on('out', (reason) => reasons.push(reason));
      await local.stop();
      await client.conn.waitClosed(3000);
      assert.deepEqual(reasons, ['SSD']);
    } finally {
      await local.stop(); // idempotent
    }
  });
});
