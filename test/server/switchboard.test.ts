/**
 * The switchboard over TCP (MSNP5.md 9.2, 9.22, 9.25, 10.4–10.6, 11, 12.4–12.6, 14; sessions.md 12,
 * 13, 14, 16c, 18): exact lines, every error path, timers with short configured limits.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { switchboardInvitation } from '../../src/client/referrals.ts';
import type { SwitchboardInvitation } from '../../src/client/referrals.ts';
import { NotDeliveredError, SwitchboardSession } from '../../src/client/switchboard.ts';
import type { ServerConfigInput } from '../../src/server/config.ts';
import {
  ALICE,
  BOB,
  CAROL,
  COOKIE,
  DAVE,
  NAMES,
  PAYLOAD_LENGTHS,
  PAYLOADS,
  SbWorld,
  assertClosedSilently,
  assertRelayed,
  escapeRegExp,
} from '../helpers/switchboard.ts';

let w: SbWorld;

/**
 * A server (with the cast) for the enclosing suite; every test's connections are closed after it.
 * Suites whose tests change stored data (lists, names) take a fresh server per test.
 */
function useServer(config: ServerConfigInput = {}, { perTest = false } = {}): void {
  if (perTest) {
    beforeEach(async () => (w = await SbWorld.start(config)));
    afterEach(() => w.stop());
    return;
  }
  before(async () => (w = await SbWorld.start(config)));
  afterEach(() => w.reset());
  after(() => w.stop());
}

const line = async (conn: MsnpConnection): Promise<string> => (await conn.next()).line;

/** Waits for the next RNG on `ns`; asserts its exact form and returns the cookie. */
async function ringOf(ns: MsnClient, sessionId: string, caller: string, callerName = NAMES[caller]!): Promise<string> {
  const r = await ns.conn.next('RNG');
  const pattern = `^RNG ${sessionId} ${escapeRegExp(w.sbAddress)} CKI (\\S+) ${escapeRegExp(caller)} ${escapeRegExp(callerName)}$`;
  const match = new RegExp(pattern).exec(r.line);
  assert.ok(match, `unexpected RNG: ${r.line}`);
  assert.match(match[1]!, COOKIE);
  return match[1]!;
}

/** `CAL t handle` → `CAL t RINGING id`; returns the id. */
async function call(sb: MsnpConnection, trId: number, handle: string): Promise<string> {
  sb.send('CAL', trId, handle);
  const match = new RegExp(`^CAL ${trId} RINGING (\\d+)$`).exec(await line(sb));
  assert.ok(match);
  return match[1]!;
}

/** ANS with TrID 1; asserts the IRO roster (handles in order) and ANS OK, with exact lines. */
async function answer(ns: MsnClient, cookie: string, sessionId: string, roster: [string, string][]): Promise<MsnpConnection> {
  const sb = await w.sb();
  sb.send('ANS', 1, ns.handle, cookie, sessionId);
  for (const [i, [handle, name]] of roster.entries()) {
    assert.equal(await line(sb), `IRO 1 ${i + 1} ${roster.length} ${handle} ${name}`);
  }
  assert.equal(await line(sb), 'ANS 1 OK');
  return sb;
}

/** Alice and Bob as at the start of session 12 (Alice created, Bob answered); JOI taken. */
async function pair(): Promise<{ aliceNs: MsnClient; bobNs: MsnClient; alice: MsnpConnection; bob: MsnpConnection; sid: string }> {
  const aliceNs = await w.online(ALICE);
  const bobNs = await w.online(BOB);
  const alice = await w.create(aliceNs);
  const sid = await call(alice, 2, BOB);
  const bob = await answer(bobNs, await ringOf(bobNs, sid, ALICE), sid, [[ALICE, NAMES[ALICE]!]]);
  assert.equal(await line(alice), `JOI ${BOB} ${NAMES[BOB]}`);
  return { aliceNs, bobNs, alice, bob, sid };
}

/** A third participant invited by `inviter` with TrID `trId`; both earlier participants get JOI. */
async function third(
  inviter: MsnpConnection,
  trId: number,
  sid: string,
  callerHandle: string,
  invitee: MsnClient,
  roster: [string, string][],
  others: MsnpConnection[],
): Promise<MsnpConnection> {
  assert.equal(await call(inviter, trId, invitee.handle), sid);
  const sb = await answer(invitee, await ringOf(invitee, sid, callerHandle), sid, roster);
  for (const other of others) assert.equal(await line(other), `JOI ${invitee.handle} ${invitee.friendlyName}`);
  return sb;
}

describe('two-person chat (sessions.md 12)', () => {
  useServer();

  for (const [opener, invitee] of [
    [ALICE, BOB],
    [BOB, ALICE],
  ] as const) {
    test(`${opener.split('@')[0]} starts it: every line exact`, async () => {
      const openerNs = await w.online(opener);
      const inviteeNs = await w.online(invitee);
      const cookie = await w.xfr(openerNs, 100);
      const a = await w.sb();
      a.send('USR', 1, opener, cookie);
      assert.equal(await line(a), `USR 1 OK ${opener} ${NAMES[opener]}`);
      const sid = await call(a, 2, invitee);
      const rngCookie = await ringOf(inviteeNs, sid, opener);
      assert.notEqual(rngCookie, cookie);
      const b = await w.sb();
      b.send('ANS', 1, invitee, rngCookie, sid);
      assert.equal(await line(b), `IRO 1 1 1 ${opener} ${NAMES[opener]}`);
      assert.equal(await line(b), 'ANS 1 OK');
      assert.equal(await line(a), `JOI ${invitee} ${NAMES[invitee]}`);

      a.sendPayload('MSG', [3, 'U'], PAYLOADS.typingAlice);
      assertRelayed(await b.next(), opener, NAMES[opener]!, PAYLOADS.typingAlice);
      a.sendPayload('MSG', [4, 'A'], PAYLOADS.hiBob);
      assertRelayed(await b.next(), opener, NAMES[opener]!, PAYLOADS.hiBob);
      assert.equal(await line(a), 'ACK 4');
      b.sendPayload('MSG', [2, 'N'], PAYLOADS.heyAlice);
      assertRelayed(await a.next(), invitee, NAMES[invitee]!, PAYLOADS.heyAlice);
      b.send('OUT');
      // no JOI for himself (D-16), no reply to N or OUT (11.6, 11.7)
      await assertClosedSilently(b);
      assert.equal(await line(a), `BYE ${invitee}`);
      a.sendPayload('MSG', [5, 'A'], PAYLOADS.anyoneThere);
      assert.equal(await line(a), 'NAK 5');
      a.send('OUT');
      await assertClosedSilently(a);
      // neither NS session saw anything of the chat but the one RNG
      await openerNs.conn.expectNothing('RNG', 50);
      await inviteeNs.conn.expectNothing('RNG', 50);
    });
  }

  test('the session id is decimal, the same for every CAL of a session, and differs between sessions', async () => {
    const aliceNs = await w.online(ALICE);
    await w.online(BOB);
    await w.online(CAROL);
    const one = await w.create(aliceNs);
    const sid = await call(one, 2, BOB);
    assert.match(sid, /^[1-9]\d*$/);
    assert.equal(await call(one, 3, CAROL), sid);
    const two = await w.create(aliceNs);
    assert.notEqual(await call(two, 2, BOB), sid);
  });

  test('USR and CAL accept handles in any case; lines carry the lower-case handle', async () => {
    const aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    const cookie = await w.xfr(aliceNs);
    const a = await w.sb();
    a.send('USR', 1, 'Alice@Example.COM', cookie);
    assert.equal(await line(a), `USR 1 OK ${ALICE} Alice%20A`);
    const sid = await call(a, 2, 'BOB@example.com');
    await ringOf(bobNs, sid, ALICE);
  });

  test('the client library drives a chat end to end against msnd', async () => {
    const aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    const alice = await w.open(aliceNs);
    assert.equal(alice.friendlyName, 'Alice%20A');
    const rung = new Promise<SwitchboardInvitation>((resolve) => bobNs.once('ring', resolve));
    const sid = await alice.invite(BOB);
    assert.equal(alice.sessionId, sid);
    const invitation = await rung;
    assert.deepEqual(invitation, switchboardInvitation(await bobNs.conn.next('RNG')));
    const bob = w.track(await SwitchboardSession.answer(bobNs, invitation));
    assert.deepEqual([...bob.participants], [[ALICE, 'Alice%20A']]);
    await alice.conn.next('JOI');
    assert.deepEqual([...alice.participants], [[BOB, 'Bob%20B']]);
    await alice.sendTyping();
    assert.equal(await alice.send('Hi Bob!', { mode: 'A' }), 4);
    const typing = await bob.nextMessage();
    assert.equal(typing.contentType, 'text/x-msmsgscontrol');
    assert.ok(typing.payload.equals(Buffer.from(PAYLOADS.typingAlice)));
    const hi = await bob.nextMessage();
    assert.deepEqual(
      [hi.from, hi.name, hi.body, hi.headers['X-MMS-IM-Format']],
      [ALICE, 'Alice%20A', 'Hi Bob!', 'FN=MS%20Sans%20Serif; EF=; CO=0; CS=0; PF=0'],
    );
    await bob.send("Hey Alice, what's up?", { format: null });
    assert.ok((await alice.nextMessage()).payload.equals(Buffer.from(PAYLOADS.heyAlice)));
    await bob.leave();
    await alice.conn.next('BYE');
    assert.equal(alice.participants.size, 0);
    await assert.rejects(alice.send('Anyone there?', { mode: 'A', format: null }), NotDeliveredError);
    await alice.leave();
  });
});

describe('three and more participants (sessions.md 13)', () => {
  useServer();

  test('session 13 line for line: IRO numbering, JOI to both, MSG to both then ACK, 215, 217, a drop is a BYE', async () => {
    const { alice, bob, sid } = await pair();
    const carolNs = await w.online(CAROL);
    await w.online(DAVE, 'HDN');
    const carol = await third(
      alice,
      6,
      sid,
      ALICE,
      carolNs,
      [
        [ALICE, 'Alice%20A'],
        [BOB, 'Bob%20B'],
      ],
      [alice, bob],
    );
    carol.sendPayload('MSG', [2, 'A'], PAYLOADS.hiBoth);
    assertRelayed(await alice.next(), CAROL, 'Carol%20C', PAYLOADS.hiBoth);
    assertRelayed(await bob.next(), CAROL, 'Carol%20C', PAYLOADS.hiBoth);
    assert.equal(await line(carol), 'ACK 2');
    bob.send('CAL', 3, CAROL);
    assert.equal(await line(bob), '215 3');
    bob.send('CAL', 4, DAVE);
    assert.equal(await line(bob), '217 4');
    bob.close();
    assert.equal(await line(alice), `BYE ${BOB}`);
    assert.equal(await line(carol), `BYE ${BOB}`);
    await alice.expectNothing(undefined, 50);
    await carol.expectNothing(undefined, 50);
  });

  test('IRO lists everyone in join order, not invitation order; any participant may invite', async () => {
    const aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    const carolNs = await w.online(CAROL);
    const daveNs = await w.online(DAVE);
    const alice = await w.create(aliceNs);
    const sid = await call(alice, 2, BOB);
    assert.equal(await call(alice, 3, CAROL), sid);
    const carolCookie = await ringOf(carolNs, sid, ALICE);
    const bobCookie = await ringOf(bobNs, sid, ALICE);
    const carol = await answer(carolNs, carolCookie, sid, [[ALICE, 'Alice%20A']]);
    assert.equal(await line(alice), `JOI ${CAROL} Carol%20C`);
    const bob = await answer(bobNs, bobCookie, sid, [
      [ALICE, 'Alice%20A'],
      [CAROL, 'Carol%20C'],
    ]);
    assert.equal(await line(alice), `JOI ${BOB} Bob%20B`);
    assert.equal(await line(carol), `JOI ${BOB} Bob%20B`);
    // the last joiner invites the fourth
    const dave = await third(
      bob,
      2,
      sid,
      BOB,
      daveNs,
      [
        [ALICE, 'Alice%20A'],
        [CAROL, 'Carol%20C'],
        [BOB, 'Bob%20B'],
      ],
      [alice, carol, bob],
    );
    dave.sendPayload('MSG', [2, 'N'], PAYLOADS.hiBoth);
    for (const other of [alice, carol, bob]) assertRelayed(await other.next(), DAVE, 'Dave%20D', PAYLOADS.hiBoth);
    await dave.expectNothing(undefined, 50);
  });

  const orders = [
    [ALICE, BOB, CAROL],
    [ALICE, CAROL, BOB],
    [BOB, ALICE, CAROL],
    [BOB, CAROL, ALICE],
    [CAROL, ALICE, BOB],
    [CAROL, BOB, ALICE],
  ];
  for (const [index, order] of orders.entries()) {
    const how = index % 2 === 0 ? ['OUT', 'drop', 'OUT'] : ['drop', 'OUT', 'drop'];
    const label = order.map((h, i) => `${h.split('@')[0]} (${how[i]})`).join(', ');
    test(`leaving in the order ${label}: BYE to the rest; the last one alone can CAL again`, async () => {
      const { alice, bob, sid } = await pair();
      const carolNs = await w.online(CAROL);
      const daveNs = await w.online(DAVE);
      const carol = await third(
        bob,
        3,
        sid,
        BOB,
        carolNs,
        [
          [ALICE, 'Alice%20A'],
          [BOB, 'Bob%20B'],
        ],
        [alice, bob],
      );
      const conns = new Map([
        [ALICE, alice],
        [BOB, bob],
        [CAROL, carol],
      ]);
      const leave = (handle: string, i: number): void => {
        const conn = conns.get(handle)!;
        conns.delete(handle);
        if (how[i] === 'OUT') conn.send('OUT');
        else conn.close();
      };
      leave(order[0]!, 0);
      for (const rest of conns.values()) assert.equal(await line(rest), `BYE ${order[0]}`);
      // the two left still talk
      const [p, q] = [...conns.entries()];
      p![1].sendPayload('MSG', [10, 'A'], PAYLOADS.hiBoth);
      assertRelayed(await q![1].next(), p![0], NAMES[p![0]]!, PAYLOADS.hiBoth);
      assert.equal(await line(p![1]), 'ACK 10');
      leave(order[1]!, 1);
      const [[lastHandle, last]] = [...conns.entries()] as [[string, MsnpConnection]];
      assert.equal(await line(last), `BYE ${order[1]}`);
      last.sendPayload('MSG', [11, 'N'], PAYLOADS.anyoneThere);
      assert.equal(await line(last), 'NAK 11');
      // alone, but the session lives on: invite Dave into it
      assert.equal(await call(last, 12, DAVE), sid);
      const dave = await answer(daveNs, await ringOf(daveNs, sid, lastHandle), sid, [[lastHandle, NAMES[lastHandle]!]]);
      assert.equal(await line(last), `JOI ${DAVE} Dave%20D`);
      leave(lastHandle, 2);
      assert.equal(await line(dave), `BYE ${lastHandle}`);
      dave.send('OUT');
      await assertClosedSilently(dave);
    });
  }

  test('the session ends with its last participant: a pending invitation then admits nobody (911)', async () => {
    const aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    const alice = await w.create(aliceNs);
    const sid = await call(alice, 2, BOB);
    const cookie = await ringOf(bobNs, sid, ALICE);
    alice.send('OUT');
    await assertClosedSilently(alice);
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, cookie, sid);
    assert.equal(await line(bob), '911 1');
    await assertClosedSilently(bob);
  });

  test('a participant invited twice after leaving may come back into the same session', async () => {
    const { bobNs, alice, bob, sid } = await pair();
    bob.send('OUT');
    await assertClosedSilently(bob);
    assert.equal(await line(alice), `BYE ${BOB}`);
    assert.equal(await call(alice, 3, BOB), sid);
    const again = await answer(bobNs, await ringOf(bobNs, sid, ALICE), sid, [[ALICE, 'Alice%20A']]);
    assert.equal(await line(alice), `JOI ${BOB} Bob%20B`);
    again.sendPayload('MSG', [2, 'A'], PAYLOADS.heyAlice);
    assertRelayed(await alice.next(), BOB, 'Bob%20B', PAYLOADS.heyAlice);
    assert.equal(await line(again), 'ACK 2');
  });
});

describe('messages (11.6, 12.4–12.6, sessions.md 14)', () => {
  useServer();

  test('the byte counts of sessions.md hold for the payloads used here', () => {
    for (const [key, payload] of Object.entries(PAYLOADS)) {
      assert.equal(Buffer.byteLength(payload), PAYLOAD_LENGTHS[key as keyof typeof PAYLOADS], key);
    }
  });

  test('session 14: file-transfer INVITE, ACCEPT, ACCEPT with address and CANCEL are relayed byte for byte', async () => {
    const { alice, bob } = await pair();
    alice.sendPayload('MSG', [7, 'N'], PAYLOADS.fileInvite);
    const invite = await bob.next();
    assert.equal(invite.line, 'MSG alice@example.com Alice%20A 274');
    assertRelayed(invite, ALICE, 'Alice%20A', PAYLOADS.fileInvite);
    bob.sendPayload('MSG', [3, 'N'], PAYLOADS.fileAccept);
    const accept = await alice.next();
    assert.equal(accept.line, 'MSG bob@example.com Bob%20B 180');
    assertRelayed(accept, BOB, 'Bob%20B', PAYLOADS.fileAccept);
    alice.sendPayload('MSG', [8, 'N'], PAYLOADS.fileAcceptAddress);
    const address = await bob.next();
    assert.equal(address.line, 'MSG alice@example.com Alice%20A 235');
    assertRelayed(address, ALICE, 'Alice%20A', PAYLOADS.fileAcceptAddress);
    bob.sendPayload('MSG', [4, 'N'], PAYLOADS.fileCancel);
    const cancel = await alice.next();
    assert.equal(cancel.line, 'MSG bob@example.com Bob%20B 147');
    assertRelayed(cancel, BOB, 'Bob%20B', PAYLOADS.fileCancel);
    await alice.expectNothing(undefined, 50);
    await bob.expectNothing(undefined, 50);
  });

  test('typing (12.5): mode U, relayed, never acknowledged', async () => {
    const { alice, bob } = await pair();
    for (let t = 3; t < 6; t++) alice.sendPayload('MSG', [t, 'U'], PAYLOADS.typingAlice);
    for (let t = 3; t < 6; t++) assertRelayed(await bob.next(), ALICE, 'Alice%20A', PAYLOADS.typingAlice);
    await alice.expectNothing(undefined, 100);
  });

  const odd: [string, Buffer][] = [
    ['an unknown content type', Buffer.from('MIME-Version: 1.0\r\nContent-Type: application/x-msnd-test\r\nX-Anything: 1\r\n\r\nbody')],
    ['no headers at all', Buffer.from('just text, no MIME')],
    ['all 256 byte values', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
    ['invalid UTF-8', Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xff, 0xfe])],
    ['UTF-8 text', Buffer.from('MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nCafé ☕ 𝄞')],
    ['lines that look like commands', Buffer.from('OUT\r\nMSG 9 A 5\r\nhello\r\nBYE alice@example.com\r\n')],
    ['bare CR and LF and NUL', Buffer.from('\r\r\n\n\0\r')],
    ['nothing (length 0)', Buffer.alloc(0)],
  ];
  for (const [label, payload] of odd) {
    test(`any content is relayed byte for byte: ${label}`, async () => {
      const { alice, bob } = await pair();
      alice.sendPayload('MSG', [3, 'A'], payload);
      assertRelayed(await bob.next(), ALICE, 'Alice%20A', payload);
      assert.equal(await line(alice), 'ACK 3');
      bob.sendPayload('MSG', [2, 'A'], payload);
      assertRelayed(await alice.next(), BOB, 'Bob%20B', payload);
      assert.equal(await line(bob), 'ACK 2');
    });
  }

  test('200 messages sent at once arrive in order, each acknowledged in order as its mode asks', async () => {
    const { alice, bob } = await pair();
    const modes = ['U', 'N', 'A'] as const;
    const payloads = Array.from({ length: 200 }, (_, i) =>
      Buffer.from(`MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nmessage #${i}`),
    );
    // one write, so the server sees them as fast as it can read
    alice.sendRaw(Buffer.concat(payloads.map((p, i) => Buffer.concat([Buffer.from(`MSG ${i + 10} ${modes[i % 3]} ${p.length}\r\n`), p]))));
    for (const [i, p] of payloads.entries()) assertRelayed(await bob.next(), ALICE, 'Alice%20A', p);
    const acks = payloads.flatMap((_, i) => (modes[i % 3] === 'A' ? [`ACK ${i + 10}`] : []));
    for (const ack of acks) assert.equal(await line(alice), ack);
    await alice.expectNothing(undefined, 100);
  });

  test('ack modes with a recipient present: U nothing, N nothing, A ACK', async () => {
    const { alice, bob } = await pair();
    alice.sendPayload('MSG', [3, 'U'], 'u');
    alice.sendPayload('MSG', [4, 'N'], 'n');
    alice.sendPayload('MSG', [5, 'A'], 'a');
    for (const body of ['u', 'n', 'a']) assertRelayed(await bob.next(), ALICE, 'Alice%20A', body);
    assert.equal(await line(alice), 'ACK 5');
    await alice.expectNothing(undefined, 100);
  });

  test('ack modes into an empty session (D-20): U nothing, N NAK, A NAK', async () => {
    const aliceNs = await w.online(ALICE);
    const alice = await w.create(aliceNs);
    alice.sendPayload('MSG', [2, 'U'], 'u');
    alice.sendPayload('MSG', [3, 'N'], 'n');
    alice.sendPayload('MSG', [4, 'A'], 'a');
    assert.equal(await line(alice), 'NAK 3');
    assert.equal(await line(alice), 'NAK 4');
    await alice.expectNothing(undefined, 100);
  });

  test('a payload of exactly 1664 bytes is relayed', async () => {
    const { alice, bob } = await pair();
    const payload = Buffer.alloc(1664, 0x61);
    alice.sendPayload('MSG', [3, 'A'], payload);
    assertRelayed(await bob.next(), ALICE, 'Alice%20A', payload);
    assert.equal(await line(alice), 'ACK 3');
  });

  test('a payload announced longer than 1664 bytes closes at once, unread and unrelayed; the others get BYE', async () => {
    const { alice, bob } = await pair();
    alice.sendRaw('MSG 8 U 2000\r\n');
    await assertClosedSilently(alice);
    assert.equal(await line(bob), `BYE ${ALICE}`);
  });

  test('1665 bytes sent in full: closed, not relayed, BYE to the others', async () => {
    const { alice, bob } = await pair();
    alice.sendPayload('MSG', [8, 'A'], Buffer.alloc(1665, 0x62));
    await assertClosedSilently(alice);
    assert.equal(await line(bob), `BYE ${ALICE}`);
    await bob.expectNothing(undefined, 50);
  });

  for (const mode of ['a', 'u', 'n', 'D', 'S', 'AA', 'X', '1']) {
    test(`mode letter "${mode}" closes without reading the payload (11.6, sessions.md 16c)`, async () => {
      const { alice, bob } = await pair();
      // only the line: the server must not wait for the 5 bytes
      alice.sendRaw(`MSG 7 ${mode} 5\r\n`);
      await assertClosedSilently(alice);
      assert.equal(await line(bob), `BYE ${ALICE}`);
      await bob.expectNothing(undefined, 50);
    });
  }

  for (const bad of ['MSG 9 N x', 'MSG 9 N -1', 'MSG 9 N', 'MSG 9 5', 'MSG 9 N 5 5', 'MSG x N 5', 'MSG 9 N 99999999999']) {
    test(`"${bad}" closes the connection; nothing is relayed`, async () => {
      const { alice, bob } = await pair();
      alice.sendRaw(`${bad}\r\nhello`);
      await assertClosedSilently(alice);
      assert.equal(await line(bob), `BYE ${ALICE}`);
      await bob.expectNothing(undefined, 50);
    });
  }

  test('a sender that drops in the middle of a payload relays nothing', async () => {
    const { alice, bob } = await pair();
    alice.sendRaw('MSG 9 N 10\r\nhello');
    await new Promise((resolve) => setTimeout(resolve, 30));
    alice.close();
    assert.equal(await line(bob), `BYE ${ALICE}`);
    await bob.expectNothing(undefined, 50);
  });
});

describe('CAL errors (11.3, sessions.md 16c)', () => {
  useServer({}, { perTest: true });

  test('208 for a malformed handle; the connection stays open', async () => {
    const aliceNs = await w.online(ALICE);
    await w.online(BOB);
    const alice = await w.create(aliceNs);
    const long = `${'a'.repeat(120)}@example.com`;
    const bad = ['@@a', 'a@b', 'bob', 'bob@', '@example.com', 'bob@example..com', 'b%40b@example.com', long];
    bad.forEach((handle, i) => alice.send('CAL', i + 3, handle));
    for (let i = 0; i < bad.length; i++) assert.equal(await line(alice), `208 ${i + 3}`);
    await call(alice, 20, BOB);
  });

  test('215 for oneself (in any case), someone already in, and someone invited who has not answered', async () => {
    const { alice, bob, bobNs } = await pair();
    const carolNs = await w.online(CAROL);
    alice.send('CAL', 3, ALICE);
    assert.equal(await line(alice), '215 3');
    alice.send('CAL', 4, 'ALICE@example.com');
    assert.equal(await line(alice), '215 4');
    alice.send('CAL', 5, BOB);
    assert.equal(await line(alice), '215 5');
    bob.send('CAL', 2, BOB);
    assert.equal(await line(bob), '215 2');
    await call(alice, 6, CAROL);
    alice.send('CAL', 7, CAROL);
    assert.equal(await line(alice), '215 7');
    bob.send('CAL', 3, CAROL);
    assert.equal(await line(bob), '215 3');
    await carolNs.conn.next('RNG');
    await carolNs.conn.expectNothing('RNG', 100);
    await bobNs.conn.expectNothing('RNG', 10);
  });

  /** [label, set the invitee up (undefined: not signed in), handle to call, undo stored changes] */
  const refusals: [string, () => Promise<MsnClient | undefined>, string, ((c: MsnClient) => Promise<unknown>)?][] = [
    ['offline', async () => undefined, BOB],
    ['no such account', async () => undefined, 'nobody@example.com'],
    ['signed in but not yet present (no CHG)', () => w.signedIn(BOB), BOB],
    ['HDN', () => w.online(BOB, 'HDN'), BOB],
    [
      'IMS OFF',
      async () => {
        const bob = await w.online(BOB);
        bob.conn.send('IMS', 50, 'OFF');
        assert.equal(await line(bob.conn), 'IMS 50 0 OFF');
        return bob;
      },
      BOB,
    ],
    [
      'blocking the caller (BL)',
      async () => {
        const bob = await w.online(BOB);
        await bob.add('BL', ALICE);
        return bob;
      },
      BOB,
      (bob) => bob.remove('BL', ALICE),
    ],
    [
      'BLP BL without the caller on AL',
      async () => {
        const bob = await w.online(BOB);
        await bob.setBlp('BL');
        return bob;
      },
      BOB,
      (bob) => bob.setBlp('AL'),
    ],
  ];
  for (const [label, setUp, target, undo] of refusals) {
    test(`217 when the invitee is ${label}; no RNG is sent`, async () => {
      const invitee = await setUp();
      const aliceNs = await w.online(ALICE);
      const alice = await w.create(aliceNs);
      alice.send('CAL', 2, target);
      assert.equal(await line(alice), '217 2');
      if (invitee) await invitee.conn.expectNothing('RNG', 150);
      // the connection stays open
      alice.sendPayload('MSG', [3, 'N'], 'x');
      assert.equal(await line(alice), 'NAK 3');
      if (invitee && undo) await undo(invitee);
    });
  }

  test('IMS ON again makes the user invitable (sessions.md 18)', async () => {
    const bobNs = await w.online(BOB);
    const aliceNs = await w.online(ALICE);
    const alice = await w.create(aliceNs);
    bobNs.conn.send('IMS', 120, 'OFF');
    assert.equal(await line(bobNs.conn), 'IMS 120 0 OFF');
    alice.send('CAL', 5, BOB);
    assert.equal(await line(alice), '217 5');
    bobNs.conn.send('IMS', 121, 'ON');
    assert.equal(await line(bobNs.conn), 'IMS 121 0 ON');
    const sid = await call(alice, 6, BOB);
    await ringOf(bobNs, sid, ALICE);
  });

  test('713 after refusedCalls (5) refused CALs; 208 and 215 do not count; the connection stays', async () => {
    const aliceNs = await w.online(ALICE);
    await w.online(BOB);
    const alice = await w.create(aliceNs);
    let t = 2;
    for (let i = 0; i < 3; i++) {
      alice.send('CAL', t, '@@a');
      assert.equal(await line(alice), `208 ${t++}`);
      alice.send('CAL', t, ALICE);
      assert.equal(await line(alice), `215 ${t++}`);
    }
    for (let i = 0; i < 4; i++) {
      alice.send('CAL', t, `nobody${i}@example.com`);
      assert.equal(await line(alice), `217 ${t++}`);
    }
    await call(alice, t++, BOB);
    alice.send('CAL', t, 'nobody4@example.com');
    assert.equal(await line(alice), `217 ${t++}`);
    alice.send('CAL', t, CAROL);
    assert.equal(await line(alice), `713 ${t++}`);
    alice.send('CAL', t, 'nobody5@example.com');
    assert.equal(await line(alice), `713 ${t++}`);
    alice.sendPayload('MSG', [t, 'U'], 'still here');
    await alice.expectNothing(undefined, 50);
    assert.equal(alice.isClosed, false);
    // The count is Alice's, not her connection's: a new switchboard session does not reset it.
    const again = await w.create(aliceNs);
    again.send('CAL', 2, 'nobody6@example.com');
    assert.equal(await line(again), '713 2');
  });

  for (const bad of [
    'CAL 6',
    'CAL 6 bob@example.com extra',
    'CAL x bob@example.com',
    'CAL -1 bob@example.com',
    'CAL 4294967296 bob@example.com',
  ]) {
    test(`"${bad}" closes the connection without a reply; the others get BYE`, async () => {
      const { alice, bob, bobNs } = await pair();
      alice.sendRaw(`${bad}\r\n`);
      await assertClosedSilently(alice);
      assert.equal(await line(bob), `BYE ${ALICE}`);
      await bobNs.conn.expectNothing('RNG', 50);
    });
  }
});

describe('a full session (switchboardParticipants: 3)', () => {
  useServer({ limits: { switchboardParticipants: 3 } });

  test('217 when participants and pending invitations fill the session; room again after a leave', async () => {
    const { alice, bob, sid } = await pair();
    const carolNs = await w.online(CAROL);
    const daveNs = await w.online(DAVE);
    await call(alice, 3, CAROL);
    alice.send('CAL', 4, DAVE);
    assert.equal(await line(alice), '217 4');
    await daveNs.conn.expectNothing('RNG', 100);
    const carol = await answer(carolNs, await ringOf(carolNs, sid, ALICE), sid, [
      [ALICE, 'Alice%20A'],
      [BOB, 'Bob%20B'],
    ]);
    assert.equal(await line(alice), `JOI ${CAROL} Carol%20C`);
    assert.equal(await line(bob), `JOI ${CAROL} Carol%20C`);
    carol.send('CAL', 2, DAVE);
    assert.equal(await line(carol), '217 2');
    bob.send('OUT');
    await assertClosedSilently(bob);
    assert.equal(await line(alice), `BYE ${BOB}`);
    assert.equal(await line(carol), `BYE ${BOB}`);
    assert.equal(await call(carol, 3, DAVE), sid);
    await ringOf(daveNs, sid, CAROL);
  });
});

describe('joining and leaving (11.2, 11.4, 11.7, 11.8)', () => {
  useServer();

  const firsts = [
    'CAL 1 bob@example.com',
    'OUT',
    'MSG 1 U 0',
    'VER 1 MSNP5',
    'USR 1 alice@example.com',
    'USR 1 alice@example.com 1.2.3 extra',
    'ANS 1 bob@example.com 1.2.3',
    'USR x alice@example.com 1.2.3',
    'usr 1 alice@example.com 1.2.3',
    'PNG',
    'INF 1',
    'FOO 1',
  ];
  for (const first of firsts) {
    test(`a first command other than USR/ANS ("${first}") closes without a reply`, async () => {
      const conn = await w.sb();
      conn.sendRaw(`${first}\r\n`);
      await assertClosedSilently(conn);
    });
  }

  test('a good cookie with a malformed USR does not sign in, and the cookie is not used up', async () => {
    const aliceNs = await w.online(ALICE);
    const cookie = await w.xfr(aliceNs);
    const conn = await w.sb();
    conn.sendRaw(`USR 1 ${ALICE} ${cookie} extra\r\n`);
    await assertClosedSilently(conn);
    const again = await w.sb();
    again.send('USR', 1, ALICE, cookie);
    assert.equal(await line(again), `USR 1 OK ${ALICE} Alice%20A`);
  });

  const afterJoin = [
    'PNG',
    'XFR 5 SB',
    'USR 5 alice@example.com 1.2.3',
    'ANS 5 alice@example.com 1.2.3 1',
    'INF 5',
    'FOO 5',
    'out',
    'IRO 5 1 1 a@b.cd A',
    'JOI a@b.cd A',
  ];
  for (const bad of afterJoin) {
    test(`"${bad}" after joining closes without a reply; the others get BYE`, async () => {
      const { alice, bob } = await pair();
      alice.sendRaw(`${bad}\r\n`);
      await assertClosedSilently(alice);
      assert.equal(await line(bob), `BYE ${ALICE}`);
    });
  }

  test('OUT with a parameter also closes (and is a leave)', async () => {
    const { alice, bob } = await pair();
    bob.sendRaw('OUT now\r\n');
    await assertClosedSilently(bob);
    assert.equal(await line(alice), `BYE ${BOB}`);
  });

  test('commands after OUT are not read', async () => {
    const { alice, bob } = await pair();
    bob.sendRaw(`OUT\r\nMSG 3 N 5\r\nhello`);
    await assertClosedSilently(bob);
    assert.equal(await line(alice), `BYE ${BOB}`);
    await alice.expectNothing(undefined, 50);
  });

  test('a participant may be in several sessions at once; leaving one leaves the other alone', async () => {
    const { aliceNs, alice, bob } = await pair();
    const carolNs = await w.online(CAROL);
    const other = await w.create(aliceNs);
    const sid2 = await call(other, 2, CAROL);
    const carol = await answer(carolNs, await ringOf(carolNs, sid2, ALICE), sid2, [[ALICE, 'Alice%20A']]);
    assert.equal(await line(other), `JOI ${CAROL} Carol%20C`);
    other.send('OUT');
    await assertClosedSilently(other);
    assert.equal(await line(carol), `BYE ${ALICE}`);
    alice.sendPayload('MSG', [3, 'A'], 'still');
    assertRelayed(await bob.next(), ALICE, 'Alice%20A', 'still');
    assert.equal(await line(alice), 'ACK 3');
  });
});

// Limits well above what setting up a pair takes on a loaded machine: at 300 ms, Alice's session
// was once closed as idle before Bob's ANS reached it (a CI run beside two CPU hogs); the waits
// for the closes are bounds, not delays.
const IDLE_MS = 1500;
const CLOSE_WITHIN_MS = 15_000;

describe('server-side removal (11.7, 14)', () => {
  useServer({ limits: { switchboardIdleMs: IDLE_MS, unauthenticatedMs: IDLE_MS } });

  test('an idle participant is removed: the others get BYE handle 1, its connection closes', async () => {
    const { alice, bob } = await pair();
    const bobGone = bob.waitClosed(CLOSE_WITHIN_MS);
    let t = 3;
    // Alice keeps talking (each command restarts her timer); Bob, who only receives, goes idle.
    while (!bob.isClosed && t < CLOSE_WITHIN_MS / 60) {
      alice.sendPayload('MSG', [t++, 'U'], 'ping');
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    await bobGone;
    assert.equal(bob.closeReason, 'closed by server');
    assert.ok(bob.drain().every((r) => r.line === 'MSG alice@example.com Alice%20A 4'));
    const lines = alice.drain().map((r) => r.line);
    assert.deepEqual(lines, [`BYE ${BOB} 1`]);
    // alone and silent, Alice goes too, with nobody left to tell
    await assertClosedSilently(alice, CLOSE_WITHIN_MS);
  });

  test('an SB connection that never signs in is closed (unauthenticatedMs)', async () => {
    const conn = await w.sb();
    await assertClosedSilently(conn, CLOSE_WITHIN_MS);
  });
});

describe('the NS session ends (10.6, D-13)', () => {
  useServer();

  const endings: [string, (ns: MsnClient) => Promise<void>][] = [
    ['OUT', (ns) => ns.signOut()],
    [
      'OUT OTH (signed in elsewhere)',
      async (ns) => {
        await w.online(ns.handle);
        await ns.conn.waitClosed();
        assert.equal(ns.conn.drain().at(-1)?.line, 'OUT OTH');
      },
    ],
    ['a dropped NS connection', async (ns) => ns.close()],
  ];
  for (const [label, end] of endings) {
    test(`${label}: the user's SB connections close and the others get BYE`, async () => {
      const { aliceNs, bobNs, alice, bob, sid } = await pair();
      const carolNs = await w.online(CAROL);
      const carol = await third(
        bob,
        3,
        sid,
        BOB,
        carolNs,
        [
          [ALICE, 'Alice%20A'],
          [BOB, 'Bob%20B'],
        ],
        [alice, bob],
      );
      // Alice (the creator) goes
      await end(aliceNs);
      await assertClosedSilently(alice);
      assert.equal(await line(bob), `BYE ${ALICE}`);
      assert.equal(await line(carol), `BYE ${ALICE}`);
      // Bob (an invitee) goes the same way
      await end(bobNs);
      await assertClosedSilently(bob);
      assert.equal(await line(carol), `BYE ${BOB}`);
      carol.sendPayload('MSG', [2, 'A'], 'alone');
      assert.equal(await line(carol), 'NAK 2');
    });
  }

  test("all of a user's switchboard connections close with the NS session", async () => {
    const { aliceNs, alice, bob } = await pair();
    const second = await w.create(aliceNs);
    aliceNs.close();
    await assertClosedSilently(alice);
    await assertClosedSilently(second);
    assert.equal(await line(bob), `BYE ${ALICE}`);
  });

  test('an RNG cookie issued to an NS session that has ended admits nobody (10.6 step 2)', async () => {
    const aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    const alice = await w.create(aliceNs);
    const sid = await call(alice, 2, BOB);
    const cookie = await ringOf(bobNs, sid, ALICE);
    await bobNs.signOut();
    await w.online(BOB);
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, cookie, sid);
    assert.equal(await line(bob), '911 1');
    await assertClosedSilently(bob);
    await alice.expectNothing('JOI', 50);
  });

  test('an XFR cookie issued to an NS session that has ended admits nobody (9.2)', async () => {
    const aliceNs = await w.online(ALICE);
    const cookie = await w.xfr(aliceNs);
    aliceNs.close();
    await aliceNs.conn.closed;
    await w.online(ALICE);
    const conn = await w.sb();
    conn.send('USR', 1, ALICE, cookie);
    assert.equal(await line(conn), '911 1');
    await assertClosedSilently(conn);
  });
});

describe('REA while in a chat (9.10, 11.6)', () => {
  useServer({}, { perTest: true });

  test('relayed MSG, RNG, IRO and JOI carry the new names', async () => {
    const { aliceNs, bobNs, alice, bob, sid } = await pair();
    const carolNs = await w.online(CAROL);
    const daveNs = await w.online(DAVE);
    aliceNs.conn.send('REA', 30, ALICE, 'Alice%20New');
    assert.match(await line(aliceNs.conn), /^REA 30 \d+ alice@example\.com Alice%20New$/);
    alice.sendPayload('MSG', [3, 'N'], PAYLOADS.hiBob);
    assertRelayed(await bob.next(), ALICE, 'Alice%20New', PAYLOADS.hiBob);
    bobNs.conn.send('REA', 31, BOB, 'Bob%20New');
    assert.match(await line(bobNs.conn), /^REA 31 \d+ bob@example\.com Bob%20New$/);
    // Alice's CAL: the RNG names her by her new name
    assert.equal(await call(alice, 4, CAROL), sid);
    const cookie = await ringOf(carolNs, sid, ALICE, 'Alice%20New');
    // Carol renames before answering: her JOI carries the new name; her IRO the others' new names
    carolNs.conn.send('REA', 32, CAROL, 'Carol%20New');
    assert.match(await line(carolNs.conn), /^REA 32 \d+ carol@example\.com Carol%20New$/);
    const carol = await answer(carolNs, cookie, sid, [
      [ALICE, 'Alice%20New'],
      [BOB, 'Bob%20New'],
    ]);
    assert.equal(await line(alice), `JOI ${CAROL} Carol%20New`);
    assert.equal(await line(bob), `JOI ${CAROL} Carol%20New`);
    bob.sendPayload('MSG', [2, 'N'], 'x');
    assertRelayed(await alice.next(), BOB, 'Bob%20New', 'x');
    assertRelayed(await carol.next(), BOB, 'Bob%20New', 'x');
    assert.equal(await call(carol, 2, DAVE), sid);
    await ringOf(daveNs, sid, CAROL, 'Carol%20New');
  });

  test('renaming a contact (not oneself) changes nothing on the switchboard', async () => {
    const { aliceNs, alice, bob } = await pair();
    await aliceNs.add('FL', BOB);
    assert.match((await aliceNs.rename(BOB, 'Bobby')).line, /^REA \d+ \d+ bob@example\.com Bobby$/);
    bob.sendPayload('MSG', [2, 'N'], 'x');
    assertRelayed(await alice.next(), BOB, 'Bob%20B', 'x');
  });
});

describe('XFR SB (9.2, 10.4)', () => {
  useServer({ limits: { switchboardRequests: 3 } });

  test('913 while HDN and before the first CHG; allowed in every other status', async () => {
    const bob = await w.signedIn(BOB);
    bob.conn.send('XFR', 10, 'SB');
    assert.equal(await line(bob.conn), '913 10');
    const alice = await w.online(ALICE, 'HDN');
    alice.conn.send('XFR', 100, 'SB');
    assert.equal(await line(alice.conn), '913 100');
    await alice.changeStatus('AWY');
    await w.xfr(alice, 101);
    await alice.changeStatus('BSY');
    await w.xfr(alice, 102);
  });

  test('a hidden user keeps the sessions it is in (10.4)', async () => {
    const { aliceNs, alice, bob } = await pair();
    await aliceNs.changeStatus('HDN');
    alice.sendPayload('MSG', [3, 'A'], 'hidden');
    assertRelayed(await bob.next(), ALICE, 'Alice%20A', 'hidden');
    assert.equal(await line(alice), 'ACK 3');
  });

  test('713 after switchboardRequests (3) XFRs; 913s do not count', async () => {
    const alice = await w.online(ALICE, 'HDN');
    alice.conn.send('XFR', 10, 'SB');
    assert.equal(await line(alice.conn), '913 10');
    await alice.changeStatus('NLN');
    for (let t = 11; t < 14; t++) await w.xfr(alice, t);
    alice.conn.send('XFR', 14, 'SB');
    assert.equal(await line(alice.conn), '713 14');
    // a refused XFR uses no cookie up; the connection stays
    await alice.ping();
  });

  test('XFR NS from a client closes the NS connection', async () => {
    const alice = await w.online(ALICE);
    alice.conn.send('XFR', 10, 'NS');
    await assertClosedSilently(alice.conn);
  });

  test('each XFR cookie is different and works once', async () => {
    const alice = await w.online(ALICE);
    const cookies = [await w.xfr(alice, 11), await w.xfr(alice, 12)];
    assert.notEqual(cookies[0], cookies[1]);
    for (const cookie of cookies) {
      const conn = await w.sb();
      conn.send('USR', 1, ALICE, cookie);
      assert.equal(await line(conn), `USR 1 OK ${ALICE} Alice%20A`);
    }
  });
});
