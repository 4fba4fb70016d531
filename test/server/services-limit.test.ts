// The session limit (MSNP5.md 13, 6.4; sessions.md session 2d): a login beyond `maxSessions` gets 922
// at USR S (MSNP5+) or 920 (MSNP2–4), then the close; a freed slot admits the next login.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { LoginError } from '../../src/client/errors.ts';
import { startServicesMsnd, type ServicesMsnd } from '../helpers/services.ts';

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
  let m: ServicesMsnd;
  const clients: MsnClient[] = [];

  before(async () => {
    m = await startServicesMsnd({ maxSessions: 2 });
    for (const name of ['alice', 'bob', 'carol']) await m.s.addUser({ handle: `${name}@example.com`, password: `${name}pass` });
  });
  after(async () => {
    for (const c of clients) c.close();
    await m.stop();
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
