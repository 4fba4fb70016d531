/**
 * NS login over TCP (MSNP5.md 3.2, 6, 7, 9.1, 9.3, 9.23, 12.1, 13; sessions.md 1, 2, 16a, 16b, 17c):
 * the MD5 challenge, the USR OK line and the profile message, every login failure, the failed-login
 * rate limit, and every row of the section-7 state table.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LoginError } from '../../src/client/errors.ts';
import { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import { headerValue, parseMime } from '../../src/client/mime.ts';
import type { Received } from '../../src/client/received.ts';
import { TestMsnd, useMsnd } from '../helpers/msnd.ts';
import {
  challengedNs,
  CVR_ARGS,
  expectClose,
  expectLine,
  expectOpen,
  md5hex,
  MSNP5_CLIENT,
  negotiatedConn,
  newUser,
  signedInNs,
  type User,
} from '../helpers/login-wire.ts';

const DOWNLOAD_URL = 'http://download.example.com/msn';
const INFO_URL = 'http://www.example.com/info';
const CVR_LINE = `CVR 9 ${CVR_ARGS.join(' ')}`;
const CVR_ANSWER = `CVR 9 3.0.0286 3.0.0286 3.0.0286 ${DOWNLOAD_URL} ${INFO_URL}`;
const FULL_PROFILE_HEADERS = [
  'MIME-Version',
  'Content-Type',
  'LoginTime',
  'EmailEnabled',
  'MemberIdHigh',
  'MemberIdLow',
  'lang_preference',
  'PreferredEmail',
  'country',
  'PostalCode',
  'Gender',
  'Kid',
  'Age',
  'BDayPre',
  'Birthday',
  'Wallet',
  'Flags',
  'sid',
  'kv',
  'MSPAuth',
];

// A high failed-login limit, so that the failure tests of this file never trip it (one address).
const s = useMsnd({
  clientVersions: { downloadUrl: DOWNLOAD_URL, infoUrl: INFO_URL },
  limits: { failedLoginsPerAddress: 1000 },
});

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function accountId(handle: string): Promise<number> {
  const account = await s.store.findAccount(handle);
  assert.ok(account, `no account ${handle}`);
  return account.id;
}

/** The profile payload's headers in order, and its text; checks the MSG length against the bytes. */
function profileOf(msg: Received): { text: string; names: string[]; headers: Record<string, string> } {
  assert.ok(msg.payload, 'the profile MSG has a payload');
  assert.equal(msg.line, `MSG Hotmail Hotmail ${msg.payload.length}`);
  const text = msg.payload.toString('utf8');
  const { headers, body } = parseMime(text);
  assert.equal(body, '', 'the profile has an empty body');
  return { text, names: Object.keys(headers), headers };
}

describe('a complete login (MSNP5.md 6.1, 6.3, 12.1; sessions.md 1)', () => {
  test('session 1: DS, then the NS at the XFR address, with exact lines and the full profile message', async () => {
    const alice = await newUser(s, 'alice');
    const ds = await s.connect('ds');
    ds.send('VER', 1, ...MSNP5_CLIENT);
    await expectLine(ds, 'VER 1 MSNP5 MSNP4 CVR0');
    ds.send('INF', 2);
    await expectLine(ds, 'INF 2 MD5');
    ds.send('USR', 3, 'MD5', 'I', alice.handle);
    const xfr = await expectLine(ds, `XFR 3 NS 127.0.0.1:${s.nsPort} 0`);
    await expectClose(ds);

    const [host, port] = xfr.args[2]!.split(':');
    const ns = await MsnpConnection.connect(host!, Number(port));
    ns.send('VER', 4, ...MSNP5_CLIENT);
    await expectLine(ns, 'VER 4 MSNP5 MSNP4 CVR0');
    ns.send('INF', 5);
    await expectLine(ns, 'INF 5 MD5');
    ns.send('USR', 6, 'MD5', 'I', alice.handle);
    const challenge = (await expectLine(ns, /^USR 6 MD5 S \d+\.\d{9}$/)).args[3]!;
    const before = nowSeconds();
    ns.send('USR', 7, 'MD5', 'S', md5hex(challenge, alice.password));
    await expectLine(ns, `USR 7 OK ${alice.handle} ${alice.wireName}`);
    const profile = profileOf(await expectLine(ns, /^MSG Hotmail Hotmail \d+$/));
    const loginTime = Number(headerValue(profile.headers, 'LoginTime'));
    assert.ok(loginTime >= before - 1 && loginTime <= nowSeconds() + 1, `LoginTime ${loginTime} is now`);
    const mspAuth = headerValue(profile.headers, 'MSPAuth') ?? '';
    assert.match(mspAuth, /^\S+$/, 'MSPAuth is a non-empty token');
    const id = await accountId(alice.handle);
    assert.equal(
      profile.text,
      [
        'MIME-Version: 1.0',
        'Content-Type: text/x-msmsgsprofile; charset=UTF-8',
        `LoginTime: ${loginTime}`,
        'EmailEnabled: 0',
        `MemberIdHigh: ${Math.floor(id / 2 ** 32)}`,
        `MemberIdLow: ${id % 2 ** 32}`,
        'lang_preference: 1033',
        // A new account's contact address is its handle (the store's default).
        `PreferredEmail: ${alice.handle}`,
        'country:',
        'PostalCode:',
        'Gender:',
        'Kid: 0',
        'Age:',
        'BDayPre:',
        'Birthday:',
        'Wallet:',
        'Flags: 1027',
        'sid: 507',
        'kv: 5',
        `MSPAuth: ${mspAuth}`,
        '',
        '',
      ].join('\r\n'),
    );
    // Nothing else follows the profile (no mailbox, so no e-mail notification; MSNP5.md 6.3).
    await ns.expectNothing(undefined, 100);
    await expectOpen(ns);
    ns.close();
  });

  test('the profile carries the stored profile values (MSNP5.md 12.1)', async () => {
    const user = await newUser(s, 'profiled');
    const id = await accountId(user.handle);
    await s.store.transaction((tx) =>
      tx.updateAccount(id, {
        profile: { preferredEmail: 'someone.else@example.net', country: 'US', postalCode: '98052', langPreference: 1036 },
      }),
    );
    const { conn, profile } = await signedInNs(s, user);
    const { headers, names } = profileOf(profile);
    assert.deepEqual(names, FULL_PROFILE_HEADERS);
    assert.equal(headers.PreferredEmail, 'someone.else@example.net');
    assert.equal(headers.country, 'US');
    assert.equal(headers.PostalCode, '98052');
    assert.equal(headers.lang_preference, '1036');
    assert.equal(headers.MemberIdLow, String(id));
    assert.equal(headers.MemberIdHigh, '0');
    conn.close();
  });

  test('sessions.md 17c: MSNP2 gets only MIME-Version, Content-Type and LoginTime (95 bytes)', async () => {
    const user = await newUser(s, 'msnp2');
    const before = nowSeconds();
    const { conn, profile } = await signedInNs(s, user, ['MSNP2', 'CVR0']);
    const { text, headers } = profileOf(profile);
    const loginTime = Number(headers.LoginTime);
    assert.ok(loginTime >= before - 1 && loginTime <= nowSeconds() + 1, `LoginTime ${loginTime} is now`);
    assert.equal(text, `MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\nLoginTime: ${loginTime}\r\n\r\n`);
    assert.equal(profile.line, 'MSG Hotmail Hotmail 95');
    conn.close();
  });

  for (const dialect of ['MSNP3', 'MSNP4']) {
    test(`${dialect} gets the same full header set as MSNP5 (MSNP5.md 12.1)`, async () => {
      const user = await newUser(s, dialect.toLowerCase());
      const { conn, ok, profile } = await signedInNs(s, user, [dialect]);
      assert.equal(ok.line, `USR 4 OK ${user.handle} ${user.wireName}`);
      assert.deepEqual(profileOf(profile).names, FULL_PROFILE_HEADERS);
      conn.close();
    });
  }

  test('every login gets its own MSPAuth token', async () => {
    const user = await newUser(s, 'token');
    const first = await signedInNs(s, user);
    const firstToken = profileOf(first.profile).headers.MSPAuth;
    first.conn.close();
    await first.conn.closed;
    const second = await signedInNs(s, user);
    const secondToken = profileOf(second.profile).headers.MSPAuth;
    assert.ok(firstToken && secondToken);
    assert.notEqual(firstToken, secondToken);
    second.conn.close();
  });

  test('the client library signs in through the DS and reads the profile', async () => {
    const user = await newUser(s, 'lib');
    const client = await s.login(user.handle);
    assert.equal(client.dialect, 'MSNP5');
    assert.equal(client.handle, user.handle);
    assert.equal(client.friendlyName, user.wireName);
    assert.equal(client.verified, undefined);
    assert.equal(client.profile.MemberIdLow, String(await accountId(user.handle)));
    assert.equal(client.profile.Flags, '1027');
    client.close();
  });
});

describe('the MD5 challenge (MSNP5.md 6.1, 6.2)', () => {
  test('the challenge is <unix seconds>.<9 digits>, and every login gets a fresh one', async () => {
    const user = await newUser(s, 'chal');
    const before = nowSeconds();
    const first = await challengedNs(s, user.handle);
    const second = await challengedNs(s, user.handle);
    const after = nowSeconds();
    for (const { challenge } of [first, second]) {
      const [seconds, digits] = challenge.split('.');
      assert.equal(digits!.length, 9);
      assert.ok(Number(seconds) >= before - 1 && Number(seconds) <= after + 1, `${challenge} starts with the time`);
    }
    assert.notEqual(first.challenge, second.challenge);
    first.conn.close();
    second.conn.close();
  });

  test('the response is accepted in upper-case hex', async () => {
    const user = await newUser(s, 'upper');
    const { conn, challenge } = await challengedNs(s, user.handle);
    conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, user.password).toUpperCase());
    await expectLine(conn, `USR 4 OK ${user.handle} ${user.wireName}`);
    await expectLine(conn, /^MSG Hotmail Hotmail \d+$/);
    conn.close();
  });

  test('the handle is case-insensitive and USR OK gives the lower-case form (MSNP5.md 3.5)', async () => {
    const user = await newUser(s, 'mixed');
    const { conn, challenge } = await challengedNs(s, user.handle.toUpperCase());
    conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, user.password));
    await expectLine(conn, `USR 4 OK ${user.handle} ${user.wireName}`);
    conn.close();
  });

  test('a response to an earlier challenge is refused: 911, then close', async () => {
    const user = await newUser(s, 'stale');
    const first = await challengedNs(s, user.handle);
    first.conn.close();
    const { conn } = await challengedNs(s, user.handle);
    conn.send('USR', 4, 'MD5', 'S', md5hex(first.challenge, user.password));
    await expectClose(conn, ['911 4']);
  });
});

describe('login failures (MSNP5.md 6.4, 13; sessions.md 2)', () => {
  test('2a: wrong password → 911, then close', async () => {
    const user = await newUser(s, 'wrongpw');
    const { conn, challenge } = await challengedNs(s, user.handle);
    conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, 'hunter2'));
    await expectClose(conn, ['911 4']);
  });

  test('2b / D-5: an unknown account gets a challenge, then 911 and close', async () => {
    const { conn, challenge } = await challengedNs(s, 'nobody@example.com');
    conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, 'anything'));
    await expectClose(conn, ['911 4']);
  });

  test('D-5: a malformed handle with a domain gets a challenge too, then 911 (code choice)', async () => {
    const { conn, challenge } = await challengedNs(s, 'a@b');
    conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, 'anything'));
    await expectClose(conn, ['911 4']);
  });

  test('a response that is not 32 hex digits → 911, then close', async () => {
    const user = await newUser(s, 'nothex');
    const { conn } = await challengedNs(s, user.handle);
    conn.send('USR', 4, 'MD5', 'S', 'z'.repeat(32));
    await expectClose(conn, ['911 4']);
  });

  test('2d: a handle without a domain → 206, then close', async () => {
    const conn = await negotiatedConn(s, 'ns');
    conn.send('USR', 2, 'MD5', 'I', 'eve@');
    await expectClose(conn, ['206 2']);
  });

  test('the client library reports a wrong password as LoginError 911', async () => {
    const user = await newUser(s, 'libfail');
    await assert.rejects(s.login(user.handle, { password: 'wrong' }), (err: unknown) => {
      assert.ok(err instanceof LoginError);
      assert.equal(err.code, 911);
      return true;
    });
  });

  test('a failed login leaves the account usable: the right password then signs in', async () => {
    const user = await newUser(s, 'retry');
    const { conn, challenge } = await challengedNs(s, user.handle);
    conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, 'wrong'));
    await expectClose(conn, ['911 4']);
    const again = await signedInNs(s, user);
    again.conn.close();
  });

  test('an unverified account signs in when requireVerified is off (the default)', async () => {
    const user = await newUser(s, 'unverified', { verified: false });
    const { conn, ok } = await signedInNs(s, user);
    assert.equal(ok.line, `USR 4 OK ${user.handle} ${user.wireName}`);
    await expectOpen(conn);
    conn.close();
  });

  test('a kids account → 923, then close (MSNP5.md 6.4)', async () => {
    const user = await newUser(s, 'kid');
    const id = await accountId(user.handle);
    await s.store.transaction((tx) => tx.updateAccount(id, { kid: true }));
    const { conn, challenge } = await challengedNs(s, user.handle);
    conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, user.password));
    await expectClose(conn, ['923 4']);
  });

  test('a kids account with MSNP2–3 → 911, which they know (923 exists from MSNP4, MSNP5.md 6.4); MSNP4 → 923', async () => {
    const user = await newUser(s, 'kid-old');
    const id = await accountId(user.handle);
    await s.store.transaction((tx) => tx.updateAccount(id, { kid: true }));
    for (const [dialect, code] of [
      ['MSNP2', '911'],
      ['MSNP3', '911'],
      ['MSNP4', '923'],
    ] as const) {
      const { conn, challenge } = await challengedNs(s, user.handle, [dialect]);
      conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, user.password));
      await expectClose(conn, [`${code} 4`]);
    }
  });

  test('a kids account with a wrong password gets 911, not 923 (nothing told without the password)', async () => {
    const user = await newUser(s, 'kidwrong');
    const id = await accountId(user.handle);
    await s.store.transaction((tx) => tx.updateAccount(id, { kid: true }));
    const { conn, challenge } = await challengedNs(s, user.handle);
    conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, 'wrong'));
    await expectClose(conn, ['911 4']);
  });

  describe('requireVerified: true', () => {
    let strict: TestMsnd;

    before(async () => {
      strict = await TestMsnd.start({ requireVerified: true });
    });

    after(async () => {
      await strict.stop();
    });

    test('2c: an unverified account with the right password → 924, then close', async () => {
      const eve = await newUser(strict, 'eve', { verified: false });
      const { conn, challenge } = await challengedNs(strict, eve.handle);
      conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, eve.password));
      await expectClose(conn, ['924 4']);
    });

    test('an unverified account with a wrong password gets 911', async () => {
      const eve = await newUser(strict, 'evewrong', { verified: false });
      const { conn, challenge } = await challengedNs(strict, eve.handle);
      conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, 'wrong'));
      await expectClose(conn, ['911 4']);
    });

    for (const dialect of ['MSNP4', 'MSNP3', 'MSNP2']) {
      test(`${dialect}, which knows no 924: an unverified account with the right password → 911, then close (a decision)`, async () => {
        const eve = await newUser(strict, `eve${dialect}`, { verified: false });
        const { conn, challenge } = await challengedNs(strict, eve.handle, [dialect]);
        conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, eve.password));
        await expectClose(conn, ['911 4']);
      });
    }

    test('MSNP6: an unverified account signs in and is told verified 0 (MSNP5.md 6.4)', async () => {
      const eve = await newUser(strict, 'eve6', { verified: false });
      const { conn, challenge } = await challengedNs(strict, eve.handle, ['MSNP6', 'CVR0']);
      conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, eve.password));
      await expectLine(conn, `USR 4 OK ${eve.handle} ${eve.wireName} 0`);
      await expectLine(conn, /^MSG Hotmail Hotmail \d+$/);
      await expectOpen(conn);
      conn.close();
    });

    test('refusals of an unverified account are no failed logins: once verified, it signs in at once', async () => {
      const eve = await newUser(strict, 'evelater', { verified: false });
      // More than the 5 failures per address and account that would lock it out (limits default).
      for (let i = 0; i < 7; i++) {
        const { conn, challenge } = await challengedNs(strict, eve.handle, ['MSNP4']);
        conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, eve.password));
        await expectClose(conn, ['911 4']);
      }
      const id = (await strict.store.findAccount(eve.handle))!.id;
      await strict.store.transaction((tx) => tx.updateAccount(id, { verified: true }));
      const { conn } = await signedInNs(strict, eve, ['MSNP4']);
      conn.close();
    });

    test('a verified account signs in', async () => {
      const user = await newUser(strict, 'verified');
      const { conn } = await signedInNs(strict, user);
      await expectOpen(conn);
      conn.close();
    });
  });
});

describe('failed-login limits (MSNP5.md 6.4, 14)', () => {
  let limited: TestMsnd;
  let windowed: TestMsnd;
  let pairs: TestMsnd;
  let accounts: TestMsnd;

  before(async () => {
    limited = await TestMsnd.start({ limits: { failedLoginsPerAddress: 3 } });
    windowed = await TestMsnd.start({ limits: { failedLoginsPerAddressAndAccount: 2, failedLoginWindowMs: 2000 } });
    pairs = await TestMsnd.start({
      limits: { failedLoginsPerAddressAndAccount: 2, failedLoginsPerAddress: 5, failedLoginsPerAccount: 1000 },
    });
    accounts = await TestMsnd.start({
      limits: { failedLoginsPerAccount: 3, failedLoginsPerAddressAndAccount: 2, failedLoginsPerAddress: 1000 },
    });
  });

  after(async () => {
    for (const server of [limited, windowed, pairs, accounts]) await server.stop();
  });

  async function fail(server: TestMsnd, handle: string): Promise<void> {
    const { conn, challenge } = await challengedNs(server, handle);
    conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, 'wrong'));
    await expectClose(conn, ['911 4']);
  }

  async function rightPasswordRefused(server: TestMsnd, user: User): Promise<void> {
    const { conn, challenge } = await challengedNs(server, user.handle);
    conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, user.password));
    await expectClose(conn, ['911 4']);
  }

  /**
   * One MSNP5 login on the NS from a loopback address of the test's choice (127.0.0.2 and on are
   * other addresses to the server); returns the answer to `USR 3 MD5 S` and closes the connection.
   */
  async function attempt(server: TestMsnd, handle: string, password: string, from = '127.0.0.1'): Promise<string> {
    const conn = await MsnpConnection.connect('127.0.0.1', server.nsPort, { localAddress: from });
    try {
      conn.send('VER', 1, 'MSNP5');
      await expectLine(conn, 'VER 1 MSNP5');
      conn.send('USR', 2, 'MD5', 'I', handle);
      const challenge = (await expectLine(conn, /^USR 2 MD5 S \d+\.\d{9}$/)).args[3]!;
      conn.send('USR', 3, 'MD5', 'S', md5hex(challenge, password));
      return (await conn.next(undefined, 3000)).line;
    } finally {
      conn.close();
    }
  }

  const ok = (user: User) => `USR 3 OK ${user.handle} ${user.wireName}`;

  test('after 3 failures from one address even the right password gets 911; another address is not affected', async () => {
    const victim = await newUser(limited, 'victim');
    await fail(limited, victim.handle);
    await fail(limited, 'nobody@example.com');
    await fail(limited, victim.handle);
    await rightPasswordRefused(limited, victim);

    // The limit is per remote address: 127.0.0.2 is another loopback address.
    assert.equal(await attempt(limited, victim.handle, victim.password, '127.0.0.2'), ok(victim));
  });

  test('a lockout ends one window after the last failure: refused retries, even with the right password, do not extend it', async () => {
    const user = await newUser(windowed, 'lockout');
    assert.equal(await attempt(windowed, user.handle, 'wrong'), '911 3');
    assert.equal(await attempt(windowed, user.handle, 'wrong'), '911 3');
    assert.equal(await attempt(windowed, user.handle, user.password), '911 3');
    // Retried far more often than the 2 s window: if refusals counted, the lockout would never end.
    const deadline = Date.now() + 20_000;
    let refused = 1;
    for (;;) {
      const answer = await attempt(windowed, user.handle, user.password);
      if (answer !== '911 3') {
        assert.equal(answer, ok(user));
        break;
      }
      refused += 1;
      assert.ok(Date.now() < deadline, `still refused after ${refused} attempts with the right password`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  test('failures against one account lock out that account from that address only, other accounts at the per-address limit', async () => {
    const [alice, bob, carol, dave, eve] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'eve'].map((n) => newUser(pairs, n)));
    assert.equal(await attempt(pairs, alice!.handle, 'wrong'), '911 3');
    assert.equal(await attempt(pairs, alice!.handle, 'wrong'), '911 3');
    assert.equal(await attempt(pairs, alice!.handle, alice!.password), '911 3');
    // Someone else behind the same address, and alice from another address, sign in.
    assert.equal(await attempt(pairs, bob!.handle, bob!.password), ok(bob!));
    assert.equal(await attempt(pairs, alice!.handle, alice!.password, '127.0.0.2'), ok(alice!));

    // 2 more failures (4 from this address): still below the per-address limit of 5.
    assert.equal(await attempt(pairs, carol!.handle, 'wrong'), '911 3');
    assert.equal(await attempt(pairs, carol!.handle, 'wrong'), '911 3');
    assert.equal(await attempt(pairs, dave!.handle, dave!.password), ok(dave!));
    // The fifth locks the whole address out, for every account; other addresses are not affected.
    assert.equal(await attempt(pairs, 'nobody@example.com', 'wrong'), '911 3');
    assert.equal(await attempt(pairs, eve!.handle, eve!.password), '911 3');
    assert.equal(await attempt(pairs, eve!.handle, eve!.password, '127.0.0.2'), ok(eve!));
  });

  test('failures from several addresses lock the account out everywhere, and only that account', async () => {
    const victim = await newUser(accounts, 'target');
    const other = await newUser(accounts, 'bystander');
    assert.equal(await attempt(accounts, victim.handle, 'wrong', '127.0.0.1'), '911 3');
    assert.equal(await attempt(accounts, victim.handle, 'wrong', '127.0.0.1'), '911 3');
    assert.equal(await attempt(accounts, victim.handle, 'wrong', '127.0.0.2'), '911 3');
    assert.equal(await attempt(accounts, victim.handle, victim.password, '127.0.0.3'), '911 3');
    assert.equal(await attempt(accounts, other.handle, other.password, '127.0.0.3'), ok(other));
  });
});

// ---- the state table of MSNP5.md 7 -----------------------------------------------------------

type State = 'CONNECTED' | 'NEGOTIATED' | 'CHALLENGED' | 'AUTHENTICATED';
interface Outcome {
  /** the lines expected in answer, in order */
  lines: (string | RegExp)[];
  /** after them: the connection is closed, or still served (PNG → QNG) */
  then: 'close' | 'open';
}

const answered = (...lines: (string | RegExp)[]): Outcome => ({ lines, then: 'open' });
const closesWith = (...lines: string[]): Outcome => ({ lines, then: 'close' });

/** A connection in the state; `user` is the account it is logging in as. */
async function inState(state: State, user: User): Promise<MsnpConnection> {
  switch (state) {
    case 'CONNECTED':
      return s.connect('ns');
    case 'NEGOTIATED':
      return negotiatedConn(s, 'ns');
    case 'CHALLENGED':
      return (await challengedNs(s, user.handle)).conn;
    case 'AUTHENTICATED':
      return (await signedInNs(s, user)).conn;
  }
}

async function check(conn: MsnpConnection, outcome: Outcome): Promise<void> {
  if (outcome.then === 'open') {
    for (const line of outcome.lines) await expectLine(conn, line);
    await expectOpen(conn);
    conn.close();
    return;
  }
  await conn.waitClosed(3000);
  const got = conn.drain().map((r) => r.line);
  assert.equal(got.length, outcome.lines.length, `received ${JSON.stringify(got)}`);
  outcome.lines.forEach((line, i) => assert.equal(got[i], line));
}

const COMMANDS: Record<string, (user: User) => string> = {
  VER: () => 'VER 9 MSNP5',
  INF: () => 'INF 9',
  'USR MD5 I': (u) => `USR 9 MD5 I ${u.handle}`,
  'USR MD5 S': () => `USR 9 MD5 S ${'0'.repeat(32)}`,
  CVR: () => CVR_LINE,
  PNG: () => 'PNG',
  OUT: () => 'OUT',
  SYN: () => 'SYN 9 0',
  CHG: () => 'CHG 9 NLN',
  ADD: () => 'ADD 9 FL someone@example.com someone',
};

const TABLE: Record<State, Record<string, Outcome>> = {
  CONNECTED: {
    VER: answered('VER 9 MSNP5'),
    INF: closesWith(),
    'USR MD5 I': closesWith(),
    'USR MD5 S': closesWith(),
    CVR: closesWith(),
    PNG: closesWith(),
    OUT: closesWith(),
    SYN: closesWith(),
    CHG: closesWith(),
    ADD: closesWith(),
  },
  NEGOTIATED: {
    VER: closesWith('715 9'),
    INF: answered('INF 9 MD5'),
    'USR MD5 I': answered(/^USR 9 MD5 S \d+\.\d{9}$/),
    'USR MD5 S': closesWith(),
    CVR: answered(CVR_ANSWER),
    PNG: answered('QNG'),
    OUT: closesWith(),
    SYN: closesWith(),
    CHG: closesWith(),
    ADD: closesWith(),
  },
  CHALLENGED: {
    VER: closesWith('715 9'),
    INF: closesWith('715 9'),
    'USR MD5 I': closesWith('715 9'),
    // "verify": a wrong response here; the right one is the login tests above.
    'USR MD5 S': closesWith('911 9'),
    CVR: answered(CVR_ANSWER),
    PNG: answered('QNG'),
    OUT: closesWith(),
    SYN: closesWith(),
    CHG: closesWith(),
    ADD: closesWith(),
  },
  AUTHENTICATED: {
    VER: closesWith(),
    INF: closesWith(),
    'USR MD5 I': answered('207 9'),
    'USR MD5 S': answered('207 9'),
    CVR: answered(CVR_ANSWER),
    PNG: answered('QNG'),
    OUT: closesWith('OUT'),
  },
};

describe('the NS state table (MSNP5.md 7, 3.7, 9.1, 9.3, 9.23)', () => {
  for (const [state, row] of Object.entries(TABLE) as [State, Record<string, Outcome>][]) {
    for (const [command, outcome] of Object.entries(row)) {
      const shown = outcome.lines.map(String).join(' + ') || 'nothing';
      test(`${state}: ${command} → ${shown}, then ${outcome.then === 'close' ? 'close' : 'still served'}`, async () => {
        const user = await newUser(s, 'state');
        const conn = await inState(state, user);
        conn.sendRaw(`${COMMANDS[command]!(user)}\r\n`);
        await check(conn, outcome);
      });
    }
  }

  test('CVR is answered with the client version three times in each dialect form (MSNP2–3: six parameters)', async () => {
    const user = await newUser(s, 'cvr');
    const { conn } = await signedInNs(s, user, ['MSNP3']);
    conn.send('CVR', 9, '0x0409', 'win', '4.10', 'i386', 'MSMSGS', '2.0.0085');
    await expectLine(conn, `CVR 9 2.0.0085 2.0.0085 2.0.0085 ${DOWNLOAD_URL} ${INFO_URL}`);
    conn.send('CVR', 10, ...CVR_ARGS);
    await expectLine(conn, `CVR 10 3.0.0286 3.0.0286 3.0.0286 ${DOWNLOAD_URL} ${INFO_URL}`);
    await expectOpen(conn);
    conn.close();
  });

  for (const [what, raw] of [
    ['too few parameters', 'CVR 9 0x0409 win 4.10 i386 MSMSGS'],
    ['too many parameters', `${CVR_LINE} extra`],
    ['a non-numeric TrID', `CVR x ${CVR_ARGS.join(' ')}`],
  ] as const) {
    for (const state of ['NEGOTIATED', 'AUTHENTICATED'] as const) {
      test(`${state}: CVR with ${what} closes without a reply (MSNP5.md 9.3)`, async () => {
        const user = await newUser(s, 'badcvr');
        const conn = await inState(state, user);
        conn.sendRaw(`${raw}\r\n`);
        await expectClose(conn);
      });
    }
  }

  test('configured versions are sent instead of the client version (MSNP5.md 9.3)', async () => {
    const configured = await TestMsnd.start({
      clientVersions: { recommended: '4.7.3001', minimum: '3.0.0286', downloadUrl: DOWNLOAD_URL, infoUrl: INFO_URL },
    });
    try {
      const conn = await negotiatedConn(configured, 'ns');
      conn.send('CVR', 2, ...CVR_ARGS);
      await expectLine(conn, `CVR 2 4.7.3001 4.7.3001 3.0.0286 ${DOWNLOAD_URL} ${INFO_URL}`);
      conn.close();
      const ds = await configured.connect('ds');
      ds.send('VER', 1, 'CVR0');
      await expectLine(ds, 'VER 1 CVR0');
      ds.send('CVQ', 2, ...CVR_ARGS);
      await expectClose(ds, [`CVQ 2 4.7.3001 4.7.3001 3.0.0286 ${DOWNLOAD_URL} ${INFO_URL}`]);
    } finally {
      await configured.stop();
    }
  });

  test('sessions.md 16b: USR after login → 207 and the session goes on (SYN is answered)', async () => {
    const user = await newUser(s, 'usr207');
    const { conn } = await signedInNs(s, user);
    conn.send('USR', 40, 'MD5', 'I', user.handle);
    await expectLine(conn, '207 40');
    conn.send('SYN', 41, 1);
    await expectLine(conn, 'SYN 41 1');
    conn.close();
  });

  test('CVR0 alone on the NS: VER t CVR0, then close (CVR0 mode is the DS’s; code choice)', async () => {
    const conn = await s.connect('ns');
    conn.send('VER', 1, 'MSNP9', 'CVR0');
    await expectClose(conn, ['VER 1 CVR0']);
  });

  test('no common dialect on the NS: VER t 0, then close', async () => {
    const conn = await s.connect('ns');
    conn.send('VER', 1, 'MSNP8');
    await expectClose(conn, ['VER 1 0']);
  });
});

describe('malformed login input (MSNP5.md 3.1, 3.2; sessions.md 16a)', () => {
  for (const [what, state, raw] of [
    ['VER with a non-numeric TrID', 'CONNECTED', 'VER x MSNP5'],
    ['ver in lower case', 'CONNECTED', 'ver 1 MSNP5'],
    ['Ver in mixed case', 'CONNECTED', 'Ver 1 MSNP5'],
    ['INF with a non-numeric TrID', 'NEGOTIATED', 'INF x'],
    ['INF with a parameter', 'NEGOTIATED', 'INF 9 MD5'],
    ['USR with a non-numeric TrID', 'NEGOTIATED', 'USR x MD5 I alice@example.com'],
    ['USR with a TrID above 4294967295', 'NEGOTIATED', 'USR 4294967296 MD5 I alice@example.com'],
    ['USR with another package', 'NEGOTIATED', 'USR 9 CTP I alice@example.com'],
    ['USR with an unknown stage', 'NEGOTIATED', 'USR 9 MD5 X alice@example.com'],
    ['USR without a handle', 'NEGOTIATED', 'USR 9 MD5 I'],
    ['USR with an extra parameter', 'NEGOTIATED', 'USR 9 MD5 I alice@example.com extra'],
    ['usr in lower case', 'NEGOTIATED', 'usr 9 MD5 I alice@example.com'],
    ['USR S without the response', 'CHALLENGED', 'USR 9 MD5 S'],
    ['USR S with a non-numeric TrID', 'CHALLENGED', 'USR x MD5 S 0404f8814e91fb1d5015e7562f83a358'],
    ['an unknown command', 'CHALLENGED', 'FOO 9'],
    ['SYN with a non-numeric TrID', 'AUTHENTICATED', 'SYN x 0'],
    ['SYN with a TrID above 4294967295', 'AUTHENTICATED', 'SYN 4294967296 0'],
    ['CHG with a non-numeric TrID', 'AUTHENTICATED', 'CHG x NLN'],
    ['chg in lower case', 'AUTHENTICATED', 'chg 9 NLN'],
  ] as const) {
    test(`${state}: ${what} closes without a reply`, async () => {
      const user = await newUser(s, 'bad');
      const conn = await inState(state, user);
      conn.sendRaw(`${raw}\r\n`);
      await expectClose(conn);
    });
  }

  test('a login that failed closes the connection; what follows is not answered', async () => {
    const user = await newUser(s, 'after911');
    const { conn, challenge } = await challengedNs(s, user.handle);
    conn.sendRaw(`USR 4 MD5 S ${md5hex(challenge, 'wrong')}\r\nPNG\r\nUSR 5 MD5 I ${user.handle}\r\n`);
    await expectClose(conn, ['911 4']);
  });

  test('the TrID is echoed with its own digits (leading zeros kept, MSNP5.md 3.2)', async () => {
    const user = await newUser(s, 'zeros');
    const conn = await s.connect('ns');
    conn.sendRaw(`VER 01 MSNP5\r\nINF 002\r\nUSR 0003 MD5 I ${user.handle}\r\n`);
    await expectLine(conn, 'VER 01 MSNP5');
    await expectLine(conn, 'INF 002 MD5');
    const challenge = (await expectLine(conn, /^USR 0003 MD5 S \d+\.\d{9}$/)).args[3]!;
    conn.sendRaw(`USR 4294967295 MD5 S ${md5hex(challenge, user.password)}\r\n`);
    await expectLine(conn, `USR 4294967295 OK ${user.handle} ${user.wireName}`);
    conn.close();
  });
});

describe('logins of different accounts do not interfere', () => {
  test('two accounts signed in at once both stay served', async () => {
    const a = await newUser(s, 'pairA');
    const b = await newUser(s, 'pairB');
    const first = await signedInNs(s, a);
    const second = await signedInNs(s, b);
    await expectOpen(first.conn);
    await expectOpen(second.conn);
    first.conn.close();
    second.conn.close();
  });

  test('MsnClient.login directly to the NS (no DS) works too (MSNP5.md 2)', async () => {
    const user = await newUser(s, 'direct');
    const client = await MsnClient.login({
      host: '127.0.0.1',
      port: s.nsPort,
      handle: user.handle,
      password: user.password,
      viaDispatch: false,
    });
    assert.equal(client.friendlyName, user.wireName);
    client.close();
  });
});
