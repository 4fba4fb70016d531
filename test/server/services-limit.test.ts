// The session limit (MSNP5.md 13, 6.4; sessions.md session 2d): a login beyond `maxSessions` gets 922
// at USR S (MSNP5+) or 920 (MSNP2–4), then the close; a freed slot admits the next login.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { LoginError } from '../../src/client/errors.ts';
import { startServicesMsnd, useServicesMsnd } from '../helpers/services.ts';

/** VER, INF and USR I on the NS with the TrIDs of sessions.md session 2d; returns the challenge. */
async function challenged(conn: MsnpConnection, dialect: string, handle: string): Promise<string> {
  conn.send('VER', 1, dialect, 'CVR0');
  assert.equal((await conn.next()).line, `VER 1 ${dialect} CVR0`);
  conn.send('INF', 2);
  assert.equal((await conn.next()).line, 'INF 2 MD5');
  conn.send('USR', 3, 'MD5', 'I', handle);
  const usr = await conn.next();
  assert.match(usr.line, /^USR 3 MD5 S \S+$/);
  return usr.args[3]!;
}

function md5(challenge: string, password: string): string {
  return createHash('md5')
    .update(challenge + password)
    .digest('hex');
}

describe('922: the NS is at its session limit', () => {
  const m = useServicesMsnd({ maxSessions: 2 });
  const clients: MsnClient[] = [];

  before(async () => {
    for (const name of ['alice', 'bob', 'carol']) await m.s.addUser({ handle: `${name}@example.com`, password: `${name}pass` });
  });
  after(() => {
    for (const c of clients) c.close();
  });

  async function login(name: string): Promise<MsnClient> {
    const client = await m.s.login(`${name}@example.com`);
    clients.push(client);
    return client;
  }

  test('the third login gets 922 at USR S and is closed; a freed slot admits the next', async () => {
    await login('alice');
    const bob = await login('bob');
    const conn = await m.s.connect('ns');
    const challenge = await challenged(conn, 'MSNP5', 'carol@example.com');
    conn.send('USR', 4, 'MD5', 'S', md5(challenge, 'carolpass'));
    await conn.waitClosed(3000);
    assert.deepEqual(
      conn.drain().map((r) => r.line),
      ['922 4'],
    );

    await assert.rejects(login('carol'), (err: unknown) => err instanceof LoginError && err.code === 922);
    await bob.signOut();
    const carol = await login('carol');
    assert.equal(carol.handle, 'carol@example.com');
  });

  test('MSNP2–4 clients, which do not know 922, get 920; a wrong password at the limit also gets it', async () => {
    for (const dialect of ['MSNP4', 'MSNP3', 'MSNP2']) {
      const conn = await m.s.connect('ns');
      const challenge = await challenged(conn, dialect, 'bob@example.com');
      conn.send('USR', 4, 'MD5', 'S', md5(challenge, 'bobpass'));
      await conn.waitClosed(3000);
      assert.deepEqual(
        conn.drain().map((r) => r.line),
        ['920 4'],
        dialect,
      );
    }
    const conn = await m.s.connect('ns');
    const challenge = await challenged(conn, 'MSNP5', 'bob@example.com');
    conn.send('USR', 4, 'MD5', 'S', md5(challenge, 'wrong'));
    await conn.waitClosed(3000);
    assert.deepEqual(
      conn.drain().map((r) => r.line),
      ['922 4'],
    );
  });

  test('logins that failed, or are still at the challenge, hold no slot', async () => {
    for (const c of clients.splice(0)) {
      c.close();
      await c.conn.closed;
    }
    const waiting = await m.s.connect('ns');
    await challenged(waiting, 'MSNP5', 'alice@example.com');
    const refused = await m.s.connect('ns');
    const challenge = await challenged(refused, 'MSNP5', 'alice@example.com');
    refused.send('USR', 4, 'MD5', 'S', md5(challenge, 'wrong'));
    await refused.waitClosed(3000);
    assert.deepEqual(
      refused.drain().map((r) => r.line),
      ['911 4'],
    );
    await login('alice');
    await login('bob');
    await assert.rejects(login('carol'), (err: unknown) => err instanceof LoginError && err.code === 922);
    waiting.close();
  });
});

describe("at the session limit, a sign-in replaces the account's own session (MSNP5.md 6.3, 10.6 D-14)", () => {
  const m = useServicesMsnd({ maxSessions: 1 });

  before(async () => {
    for (const name of ['alice', 'bob']) await m.s.addUser({ handle: `${name}@example.com`, password: `${name}pass` });
  });

  /** The answer to `USR 4 MD5 S` on a fresh NS connection (the connection is left to the caller). */
  async function attempt(dialect: string, name: string, password: string): Promise<{ conn: MsnpConnection; answer: string }> {
    const conn = await m.s.connect('ns');
    const challenge = await challenged(conn, dialect, `${name}@example.com`);
    conn.send('USR', 4, 'MD5', 'S', md5(challenge, password));
    return { conn, answer: (await conn.next(undefined, 3000)).line };
  }

  /** The session is still served and was told nothing: PNG is answered with QNG and nothing else came. */
  async function undisturbed(conn: MsnpConnection): Promise<void> {
    conn.send('PNG');
    assert.deepEqual([(await conn.next(undefined, 3000)).line, ...conn.drain().map((r) => r.line)], ['QNG']);
  }

  test('alice signs in again: the old session gets OUT OTH and closes, the new one is signed in; a stranger still gets 922/920', async () => {
    const first = await attempt('MSNP5', 'alice', 'alicepass');
    assert.equal(first.answer, 'USR 4 OK alice@example.com alice@example.com');
    // A second client of alice's (or the same one again after its connection died unnoticed).
    const second = await attempt('MSNP5', 'alice', 'alicepass');
    assert.equal(second.answer, 'USR 4 OK alice@example.com alice@example.com');
    await first.conn.next('OUT', 3000).then((r) => assert.equal(r.line, 'OUT OTH'));
    await first.conn.waitClosed(3000);
    assert.match((await second.conn.next(undefined, 3000)).line, /^MSG Hotmail Hotmail \d+$/);
    await undisturbed(second.conn);

    // The place is still taken: bob gets 922 (MSNP5) or 920 (MSNP4), then the close.
    for (const [dialect, code] of [
      ['MSNP5', '922 4'],
      ['MSNP4', '920 4'],
    ] as const) {
      const bob = await attempt(dialect, 'bob', 'bobpass');
      assert.equal(bob.answer, code, dialect);
      await bob.conn.waitClosed(3000);
    }

    // An MSNP4 client of alice's replaces her session too.
    const third = await attempt('MSNP4', 'alice', 'alicepass');
    assert.equal(third.answer, 'USR 4 OK alice@example.com alice@example.com');
    assert.equal((await second.conn.next('OUT', 3000)).line, 'OUT OTH');
    await second.conn.waitClosed(3000);
    third.conn.close();
    await third.conn.closed;
  });

  test('a wrong password for alice at the limit gets what a stranger gets, and her session stays as it was', async () => {
    const alice = await attempt('MSNP5', 'alice', 'alicepass');
    assert.equal(alice.answer, 'USR 4 OK alice@example.com alice@example.com');
    await alice.conn.next('MSG', 3000);
    for (const [dialect, code] of [
      ['MSNP5', '922 4'],
      ['MSNP4', '920 4'],
    ] as const) {
      const wrong = await attempt(dialect, 'alice', 'wrong');
      assert.equal(wrong.answer, code, dialect);
      await wrong.conn.waitClosed(3000);
      // The same as bob's wrong password: nothing tells whether alice is signed in.
      const stranger = await attempt(dialect, 'bob', 'wrong');
      assert.equal(stranger.answer, code, dialect);
      await stranger.conn.waitClosed(3000);
    }
    await undisturbed(alice.conn);
    alice.conn.close();
    await alice.conn.closed;
  });
});

describe("at the session limit, guessing a signed-in account's password is counted as anywhere else", () => {
  test('failed guesses lock the pair out: then even the right password gets 922, and the session stays', async () => {
    const m = await startServicesMsnd({ maxSessions: 1, limits: { failedLoginsPerAddressAndAccount: 2 } });
    try {
      await m.s.addUser({ handle: 'alice@example.com', password: 'alicepass' });
      const alice = await m.s.login('alice@example.com');
      const answer = async (password: string): Promise<string> => {
        const conn = await m.s.connect('ns');
        const challenge = await challenged(conn, 'MSNP5', 'alice@example.com');
        conn.send('USR', 4, 'MD5', 'S', md5(challenge, password));
        await conn.waitClosed(3000);
        return conn
          .drain()
          .map((r) => r.line)
          .join(' | ');
      };
      assert.equal(await answer('wrong'), '922 4');
      assert.equal(await answer('wrong'), '922 4');
      // Without counting, the right password would now replace alice's session: a password oracle.
      assert.equal(await answer('alicepass'), '922 4');
      alice.conn.send('PNG');
      assert.equal((await alice.conn.next('QNG', 3000)).line, 'QNG');
      assert.deepEqual(
        alice.conn.drain().filter((r) => r.name === 'OUT'),
        [],
      );
      assert.equal(alice.conn.isClosed, false);
      alice.close();
    } finally {
      await m.stop();
    }
  });
});

describe('without maxSessions there is no limit', () => {
  test('many sessions sign in', async () => {
    const m = await startServicesMsnd();
    try {
      const clients: MsnClient[] = [];
      for (let i = 0; i < 12; i++) {
        await m.s.addUser({ handle: `u${i}@example.com`, password: 'pw' });
        clients.push(await m.s.login(`u${i}@example.com`));
      }
      assert.equal(clients.length, 12);
      for (const c of clients) c.close();
    } finally {
      await m.stop();
    }
  });
});
