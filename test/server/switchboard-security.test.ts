/**
 * Switchboard security (MSNP5.md 9.2, 9.25, 10.4, 10.5, 11.1–11.4, 14, D-15): cookies are single-use,
 * bound to their account, their kind and their session, expire, and cannot be guessed; nobody is
 * invited against the invitee's privacy settings, and the refusal does not reveal why.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { newCookie } from '../../src/bus/memory.ts';
import type { ServerConfigInput } from '../../src/server/config.ts';
import { ALICE, BOB, CAROL, COOKIE, NAMES, SbWorld, assertClosedSilently, assertRelayed, escapeRegExp } from '../helpers/switchboard.ts';

let w: SbWorld;

function useServer(config: ServerConfigInput = {}): void {
  before(async () => (w = await SbWorld.start(config)));
  afterEach(() => w.reset());
  after(() => w.stop());
}

const line = async (conn: MsnpConnection): Promise<string> => (await conn.next()).line;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function ringOf(ns: MsnClient, sessionId: string, caller: string): Promise<string> {
  const r = await ns.conn.next('RNG');
  const pattern = `^RNG ${sessionId} ${escapeRegExp(w.sbAddress)} CKI (\\S+) ${escapeRegExp(caller)} ${escapeRegExp(NAMES[caller]!)}$`;
  const match = new RegExp(pattern).exec(r.line);
  assert.ok(match, `unexpected RNG: ${r.line}`);
  return match[1]!;
}

async function call(sb: MsnpConnection, trId: number, handle: string): Promise<string> {
  sb.send('CAL', trId, handle);
  const match = new RegExp(`^CAL ${trId} RINGING (\\d+)$`).exec(await line(sb));
  assert.ok(match);
  return match[1]!;
}

/** A USR with the cookie on a new SB connection: asserts `911 1` and the close. */
async function refusedUsr(handle: string, cookie: string): Promise<void> {
  const conn = await w.sb();
  conn.send('USR', 1, handle, cookie);
  assert.equal(await line(conn), '911 1');
  await assertClosedSilently(conn);
}

/** An ANS with the cookie on a new SB connection: asserts `911 1` and the close. */
async function refusedAns(handle: string, cookie: string, sessionId: string): Promise<void> {
  const conn = await w.sb();
  conn.send('ANS', 1, handle, cookie, sessionId);
  assert.equal(await line(conn), '911 1');
  await assertClosedSilently(conn);
}

async function acceptedUsr(handle: string, cookie: string): Promise<MsnpConnection> {
  const conn = await w.sb();
  conn.send('USR', 1, handle, cookie);
  assert.equal(await line(conn), `USR 1 OK ${handle} ${NAMES[handle]}`);
  return conn;
}

/** Alice in a session of her own with Bob invited; returns Bob's RNG cookie. */
async function bobInvited(): Promise<{ aliceNs: MsnClient; bobNs: MsnClient; alice: MsnpConnection; sid: string; cookie: string }> {
  const aliceNs = await w.online(ALICE);
  const bobNs = await w.online(BOB);
  const alice = await w.create(aliceNs);
  const sid = await call(alice, 2, BOB);
  return { aliceNs, bobNs, alice, sid, cookie: await ringOf(bobNs, sid, ALICE) };
}

describe('cookies are single-use and bound (11.2, 11.4)', () => {
  useServer();

  test('a reused XFR cookie: 911 and close; the first holder is unaffected', async () => {
    const aliceNs = await w.online(ALICE);
    const cookie = await w.xfr(aliceNs);
    const first = await acceptedUsr(ALICE, cookie);
    await refusedUsr(ALICE, cookie);
    first.sendPayload('MSG', [2, 'N'], 'x');
    assert.equal(await line(first), 'NAK 2');
  });

  test('a reused RNG cookie: 911 and close, while in the session and after leaving it', async () => {
    const { alice, sid, cookie } = await bobInvited();
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, cookie, sid);
    assert.equal(await line(bob), `IRO 1 1 1 ${ALICE} Alice%20A`);
    assert.equal(await line(bob), 'ANS 1 OK');
    assert.equal(await line(alice), `JOI ${BOB} Bob%20B`);
    await refusedAns(BOB, cookie, sid);
    bob.send('OUT');
    await assertClosedSilently(bob);
    assert.equal(await line(alice), `BYE ${BOB}`);
    await refusedAns(BOB, cookie, sid);
    await alice.expectNothing(undefined, 50);
  });

  test('an XFR cookie presented by another account: 911; it is then used up for its owner too', async () => {
    const aliceNs = await w.online(ALICE);
    await w.online(BOB);
    const cookie = await w.xfr(aliceNs);
    await refusedUsr(BOB, cookie);
    // msnd consumes a cookie before checking whose it is: a failed attempt spends it (single use)
    await refusedUsr(ALICE, cookie);
  });

  test('an RNG cookie presented by another account: 911; it is then used up for its owner too', async () => {
    const { alice, sid, cookie } = await bobInvited();
    await w.online(CAROL);
    await refusedAns(CAROL, cookie, sid);
    await refusedAns(BOB, cookie, sid);
    await alice.expectNothing('JOI', 50);
  });

  test('an RNG cookie with a wrong session id: 911; the cookie is then used up', async () => {
    const { alice, sid, cookie } = await bobInvited();
    await refusedAns(BOB, cookie, String(Number(sid) + 1));
    await refusedAns(BOB, cookie, sid);
    await alice.expectNothing('JOI', 50);
  });

  test('an RNG cookie for one session does not open another live session', async () => {
    const aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    const one = await w.create(aliceNs);
    const two = await w.create(aliceNs);
    const sid1 = await call(one, 2, BOB);
    const cookie1 = await ringOf(bobNs, sid1, ALICE);
    const sid2 = await call(two, 2, BOB);
    const cookie2 = await ringOf(bobNs, sid2, ALICE);
    assert.notEqual(sid1, sid2);
    await refusedAns(BOB, cookie1, sid2);
    // cookie2 was not touched by that attempt
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, cookie2, sid2);
    assert.equal(await line(bob), `IRO 1 1 1 ${ALICE} Alice%20A`);
    assert.equal(await line(bob), 'ANS 1 OK');
    assert.equal(await line(two), `JOI ${BOB} Bob%20B`);
    await one.expectNothing('JOI', 50);
  });

  test('an XFR cookie in ANS and an RNG cookie in USR: 911; a cookie of the other kind is not spent by that', async () => {
    const { aliceNs, sid, cookie: rngCookie } = await bobInvited();
    const xfrCookie = await w.xfr(aliceNs);
    await refusedAns(ALICE, xfrCookie, sid);
    await refusedUsr(BOB, rngCookie);
    // msnd looks cookies up by kind: the wrong kind finds nothing and consumes nothing
    await acceptedUsr(ALICE, xfrCookie);
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, rngCookie, sid);
    assert.equal(await line(bob), `IRO 1 1 1 ${ALICE} Alice%20A`);
    assert.equal(await line(bob), 'ANS 1 OK');
  });

  test('a participant cannot be rung into his session a second time (215, no RNG)', async () => {
    const { alice, bobNs, sid, cookie } = await bobInvited();
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, cookie, sid);
    assert.equal(await line(bob), `IRO 1 1 1 ${ALICE} Alice%20A`);
    assert.equal(await line(bob), 'ANS 1 OK');
    assert.equal(await line(alice), `JOI ${BOB} Bob%20B`);
    // a second invitation is refused with 215: nobody can ring Bob into the session twice
    alice.send('CAL', 3, BOB);
    assert.equal(await line(alice), '215 3');
    await bobNs.conn.expectNothing('RNG', 50);
    alice.sendPayload('MSG', [4, 'A'], 'hi');
    assertRelayed(await bob.next(), ALICE, 'Alice%20A', 'hi');
    assert.equal(await line(alice), 'ACK 4');
  });
});

describe('cookies expire (14: transferCookieMs, ringCookieMs)', () => {
  // Long enough that a fresh cookie is still good however busy the machine (a 200 ms lifetime could
  // lapse between the XFR or RNG and the USR or ANS); the waits below outlive it.
  const COOKIE_MS = 1500;
  useServer({ limits: { transferCookieMs: COOKIE_MS, ringCookieMs: COOKIE_MS } });

  test('an XFR cookie older than transferCookieMs: 911 and close; a fresh one works', async () => {
    const aliceNs = await w.online(ALICE);
    const stale = await w.xfr(aliceNs, 10);
    await sleep(COOKIE_MS + 200);
    await refusedUsr(ALICE, stale);
    await acceptedUsr(ALICE, await w.xfr(aliceNs, 11));
  });

  test('a refused ANS ends the invitation: Bob, rung on a session that has ended, can be rung again at once', async () => {
    const { alice, bobNs, sid, cookie } = await bobInvited();
    bobNs.close();
    const bobAgain = await w.online(BOB);
    await refusedAns(BOB, cookie, sid);
    assert.equal(await call(alice, 3, BOB), sid);
    const fresh = await ringOf(bobAgain, sid, ALICE);
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, fresh, sid);
    assert.equal(await line(bob), `IRO 1 1 1 ${ALICE} Alice%20A`);
    assert.equal(await line(bob), 'ANS 1 OK');
  });

  test('an RNG cookie older than ringCookieMs: 911; the invitation lapses with it, so Bob can be rung again', async () => {
    const { alice, bobNs, sid, cookie } = await bobInvited();
    alice.send('CAL', 3, BOB);
    assert.equal(await line(alice), '215 3');
    await sleep(COOKIE_MS + 200);
    await refusedAns(BOB, cookie, sid);
    assert.equal(await call(alice, 4, BOB), sid);
    const fresh = await ringOf(bobNs, sid, ALICE);
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, fresh, sid);
    assert.equal(await line(bob), `IRO 1 1 1 ${ALICE} Alice%20A`);
    assert.equal(await line(bob), 'ANS 1 OK');
  });
});

describe('guessed cookies', () => {
  useServer({ limits: { switchboardRequests: 1000 } });

  /** How long the TCP part may run, and how many guesses it makes at most (env overrides). */
  const TCP_BUDGET_MS = Number(process.env.MSND_GUESS_MS ?? 10_000);
  const GUESSES = Number(process.env.MSND_GUESSES ?? 100_000);
  const PARALLEL = 128;
  /** Made even when the budget runs out first (a slow machine), so that the test always means something. */
  const AT_LEAST = Math.min(GUESSES, 5000);

  interface Live {
    xfr: string[];
    rng: string[];
    sid: string;
  }

  /** Real cookies of both kinds, alive while the guessing runs. */
  async function liveCookies(): Promise<Live> {
    const aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    const xfr: string[] = [];
    for (let t = 10; t < 110; t++) xfr.push(await w.xfr(aliceNs, t));
    const rng: string[] = [];
    let sid = '';
    for (let i = 0; i < 10; i++) {
      const sb = await w.create(aliceNs);
      sid = await call(sb, 2, BOB);
      rng.push(await ringOf(bobNs, sid, ALICE));
    }
    return { xfr, rng, sid };
  }

  const DIGITS = '0123456789';
  const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)]!;
  const digits = (n: number): string => Array.from({ length: n }, () => pick([...DIGITS])).join('');

  /** One wrong cookie, in msnd's shape or in any other; near misses of real cookies included. */
  function guess(live: readonly string[]): string {
    const kind = randomInt(10);
    if (kind < 4) return newCookie();
    if (kind < 6) {
      // a real cookie with one digit changed
      const real = pick(live);
      const at = pick([...real].flatMap((c, i) => (c === '.' ? [] : [i])));
      const other = pick([...DIGITS].filter((d) => d !== real[at]));
      return real.slice(0, at) + other + real.slice(at + 1);
    }
    if (kind === 6) return `${digits(10)}.${digits(4)}.${digits(4)}`;
    if (kind === 7) {
      const real = pick(live);
      return pick([real.slice(0, -1), `${real}${digits(1)}`, `0${real}`, real.replaceAll('.', ''), real.replace('.', '..')]);
    }
    if (kind === 8) {
      // printable ASCII without spaces, 1–64 characters, or a very long token
      const long = randomInt(20) === 0;
      const length = long ? randomInt(200, 1900) : randomInt(1, 65);
      return Array.from({ length }, () => String.fromCharCode(randomInt(0x21, 0x7f))).join('');
    }
    // raw bytes 0x80–0xff (latin1 on the wire)
    return Buffer.from(randomBytes(randomInt(1, 41)).map((b) => b | 0x80)).toString('latin1');
  }

  /** One TCP connection, one guess: resolves with what the server sent and whether it closed first. */
  function tryOnce(port: number, index: number, command: string): Promise<{ got: string; serverClosed: boolean }> {
    return new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: `127.0.${1 + ((index >> 8) % 250)}.${1 + (index % 250)}` });
      let got = '';
      let serverClosed = false;
      socket.setNoDelay(true);
      socket.on('connect', () => socket.write(Buffer.from(`${command}\r\n`, 'latin1')));
      socket.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
      socket.on('end', () => (serverClosed = true));
      socket.on('error', () => {});
      socket.on('close', () => resolve({ got, serverClosed }));
      socket.setTimeout(5000, () => socket.destroy());
    });
  }

  test(`up to ${GUESSES} guesses over TCP, ${PARALLEL} connections at a time: each gets 911 and is closed`, async (t) => {
    const live = await liveCookies();
    const liveSet = new Set([...live.xfr, ...live.rng]);
    const failures: string[] = [];
    let made = 0;
    let next = 0;
    const started = Date.now();
    const worker = async (): Promise<void> => {
      while (next < GUESSES && (next < AT_LEAST || Date.now() - started < TCP_BUDGET_MS)) {
        const index = next++;
        const asAnswer = index % 4 === 3;
        const cookie = guess(asAnswer ? live.rng : live.xfr);
        if (liveSet.has(cookie)) continue;
        const command = asAnswer ? `ANS 1 ${BOB} ${cookie} ${live.sid}` : `USR 1 ${ALICE} ${cookie}`;
        const { got, serverClosed } = await tryOnce(w.sbPort, index, command);
        made++;
        if (got !== '911 1\r\n' || !serverClosed)
          failures.push(`${JSON.stringify(command)} → ${JSON.stringify(got)} closed=${serverClosed}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    t.diagnostic(`${made} guesses over TCP in ${Date.now() - started} ms`);
    assert.deepEqual(failures.slice(0, 5), []);
    assert.ok(made >= AT_LEAST - 10, `only ${made} guesses were made`);
    // the real cookies survived the guessing, each still good exactly once
    for (const cookie of live.xfr.slice(0, 3)) await acceptedUsr(ALICE, cookie);
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, live.rng.at(-1)!, live.sid);
    assert.equal(await line(bob), `IRO 1 1 1 ${ALICE} Alice%20A`);
    assert.equal(await line(bob), 'ANS 1 OK');
  });

  test(`${GUESSES} guesses against the token store itself all fail, and spend no real cookie`, async () => {
    const live = await liveCookies();
    const tokens = w.s.bus.tokens;
    let hits = 0;
    for (let i = 0; i < GUESSES; i++) {
      const purpose = i % 2 === 0 ? 'xfr' : 'rng';
      const cookie = guess(purpose === 'xfr' ? live.xfr : live.rng);
      if (live.xfr.includes(cookie) || live.rng.includes(cookie)) continue;
      if ((await tokens.consume(purpose, cookie)) !== undefined) hits++;
    }
    assert.equal(hits, 0);
    for (const cookie of live.xfr) assert.equal((await tokens.consume('xfr', cookie))?.handle, ALICE);
    for (const cookie of live.rng) assert.equal((await tokens.consume('rng', cookie))?.handle, BOB);
    for (const cookie of live.xfr) assert.equal(await tokens.consume('xfr', cookie), undefined);
  });

  test("cookies are in msnd's shape and unpredictable: no repeats, every digit position varies", async () => {
    const aliceNs = await w.online(ALICE);
    const cookies: string[] = [];
    for (let t = 10; t < 60; t++) cookies.push(await w.xfr(aliceNs, t));
    for (const cookie of cookies) assert.match(cookie, COOKIE);
    assert.equal(new Set(cookies).size, cookies.length);
    for (let i = 0; i < cookies[0]!.length; i++) {
      if (cookies[0]![i] === '.') continue;
      assert.ok(new Set(cookies.map((c) => c[i])).size > 1, `position ${i} never changes`);
    }
  });
});

describe('privacy when inviting (10.4, 10.5, 11.3, D-15; sessions.md 6)', () => {
  // Refused CALs count per account (713 is tested in switchboard.test.ts); here they are many.
  useServer({ limits: { refusedCalls: 1000 } });

  /** Bob's CAL to Alice from a session of his own: asserts `217 t`; Alice's NS gets no RNG. */
  async function refused(bob: MsnpConnection, trId: number, aliceNs?: MsnClient): Promise<void> {
    bob.send('CAL', trId, ALICE);
    assert.equal(await line(bob), `217 ${trId}`);
    if (aliceNs) await aliceNs.conn.expectNothing('RNG', 150);
  }

  test('Alice blocks Bob (ADD BL): 217 whether she is online or offline, like for no account at all; no RNG', async () => {
    let aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    assert.match((await aliceNs.add('BL', BOB, 'Bob%20B')).line, /^ADD \d+ BL \d+ bob@example\.com Bob%20B$/);
    const bob = await w.create(bobNs);
    await refused(bob, 2, aliceNs);
    bob.send('CAL', 3, 'nobody@example.com');
    assert.equal(await line(bob), '217 3');
    await aliceNs.signOut();
    await refused(bob, 4);
    aliceNs = await w.online(ALICE);
    await refused(bob, 5, aliceNs);
    // unblocked, Bob can invite her again
    await aliceNs.remove('BL', BOB);
    const sid = await call(bob, 6, ALICE);
    await ringOf(aliceNs, sid, BOB);
  });

  test('BLP BL without Bob on AL: 217 online and offline, no RNG; with Bob on AL he may invite', async () => {
    let aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    await aliceNs.setBlp('BL');
    const bob = await w.create(bobNs);
    await refused(bob, 2, aliceNs);
    await aliceNs.signOut();
    await refused(bob, 3);
    aliceNs = await w.online(ALICE);
    await refused(bob, 4, aliceNs);
    await aliceNs.add('AL', BOB);
    const sid = await call(bob, 5, ALICE);
    await ringOf(aliceNs, sid, BOB);
    await aliceNs.remove('AL', BOB);
    await aliceNs.setBlp('AL');
  });

  test('Alice HDN: 217 and no RNG; NLN again: she can be rung', async () => {
    const aliceNs = await w.online(ALICE, 'HDN');
    const bobNs = await w.online(BOB);
    const bob = await w.create(bobNs);
    await refused(bob, 2, aliceNs);
    await aliceNs.changeStatus('NLN');
    const sid = await call(bob, 3, ALICE);
    await ringOf(aliceNs, sid, BOB);
  });

  test('Alice IMS OFF: 217 and no RNG, her status unchanged; IMS ON: she can be rung', async () => {
    const aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    const bob = await w.create(bobNs);
    aliceNs.conn.send('IMS', 120, 'OFF');
    assert.equal(await line(aliceNs.conn), 'IMS 120 0 OFF');
    assert.equal(aliceNs.status, 'NLN');
    await refused(bob, 2, aliceNs);
    aliceNs.conn.send('IMS', 121, 'ON');
    assert.equal(await line(aliceNs.conn), 'IMS 121 0 ON');
    const sid = await call(bob, 3, ALICE);
    await ringOf(aliceNs, sid, BOB);
  });

  test('privacy is checked only between caller and invitee: a third party may bring a blocker and the blocked together (10.5)', async () => {
    const aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    const carolNs = await w.online(CAROL);
    await aliceNs.add('BL', BOB);
    const carol = await w.create(carolNs);
    const sid = await call(carol, 2, ALICE);
    assert.equal(await call(carol, 3, BOB), sid);
    const alice = await w.sb();
    alice.send('ANS', 1, ALICE, await ringOf(aliceNs, sid, CAROL), sid);
    assert.equal(await line(alice), `IRO 1 1 1 ${CAROL} Carol%20C`);
    assert.equal(await line(alice), 'ANS 1 OK');
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, await ringOf(bobNs, sid, CAROL), sid);
    assert.equal(await line(bob), `IRO 1 1 2 ${CAROL} Carol%20C`);
    assert.equal(await line(bob), `IRO 1 2 2 ${ALICE} Alice%20A`);
    assert.equal(await line(bob), 'ANS 1 OK');
    assert.equal(await line(alice), `JOI ${BOB} Bob%20B`);
    bob.sendPayload('MSG', [2, 'A'], 'hello both');
    assertRelayed(await alice.next(), BOB, 'Bob%20B', 'hello both');
    assert.equal(await line(bob), 'ACK 2');
    await aliceNs.remove('BL', BOB);
  });

  test('blocking someone already in a chat does not eject him (10.5)', async () => {
    const aliceNs = await w.online(ALICE);
    const bobNs = await w.online(BOB);
    const alice = await w.create(aliceNs);
    const sid = await call(alice, 2, BOB);
    const bob = await w.sb();
    bob.send('ANS', 1, BOB, await ringOf(bobNs, sid, ALICE), sid);
    assert.equal(await line(bob), `IRO 1 1 1 ${ALICE} Alice%20A`);
    assert.equal(await line(bob), 'ANS 1 OK');
    assert.equal(await line(alice), `JOI ${BOB} Bob%20B`);
    await aliceNs.add('BL', BOB);
    bob.sendPayload('MSG', [2, 'A'], 'still here');
    assertRelayed(await alice.next(), BOB, 'Bob%20B', 'still here');
    assert.equal(await line(bob), 'ACK 2');
    await alice.expectNothing('BYE', 50);
    await aliceNs.remove('BL', BOB);
  });
});
