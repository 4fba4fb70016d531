/**
 * MSNP6+ challenges over TCP (MSNP5.md 9.27, 3.6, 14; sessions.md 17b): `CHL 0 <challenge>` after
 * the first CHG, QRY answers, 540 and OUT, client-requested CHL, MSNP5 sessions without them, and
 * the client library answering by itself.
 *
 * Two servers: `once` challenges shortly after the first CHG and then not again for a minute, so
 * that every line of a test is predictable; `often` challenges every 100–200 ms.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { parseServerConfig } from '../../src/server/config.ts';
import { type TestMsnd, useMsnd } from '../helpers/msnd.ts';
import { challengedNs, expectClose, expectLine, expectOpen, md5hex, newUser, signedInNs, type User } from '../helpers/login-wire.ts';

const DIALECTS = ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'] as const;
const CLIENT_ID = 'msmsgs@msnmsgr.com';
const CHALLENGE_LINE = /^CHL 0 [0-9]{20}$/;
// Long enough for a client on a busy machine to answer; the tests of no answer wait it out.
const ANSWER_MS = 2000;

/** Every id → key pair of MSNP5.md 9.27, copied from the reference. */
const REFERENCE_PAIRS: [string, string][] = [
  ['msmsgs@msnmsgr.com', 'Q1P7W2E4J9R8U3S5'],
  ['PROD0038W!61ZTF9', 'VT6PX?UQTM4WM%YR'],
  ['PROD0058#7IL2{QD', 'QHDCY@7R1TB6W?5B'],
  ['PROD0061VRRZH@4F', 'JXQ6J@TUOGYV@N0M'],
  ['PROD00504RLUG%WL', 'I2EBK%PYNLZL5_J4'],
  ['PROD0076ENE8*@AW', 'CEQJ8}OE0!WTSWII'],
];
/** The operator's pairs of `keyed`: a new client, and a new key for a built-in id. */
const OPERATOR_ID = 'PROD0099{OP}#%!?';
const OPERATOR_KEY = 'K3Y*@_{odd}=%!?#';
const REKEYED_ID = 'PROD0058#7IL2{QD';
const REKEYED_KEY = 'NEWKEY0000000001';

const once = useMsnd({
  dialects: [...DIALECTS],
  limits: { challengeFirstMs: 100, challengeMinIntervalMs: 60_000, challengeMaxIntervalMs: 60_000, challengeAnswerMs: ANSWER_MS },
});
const often = useMsnd({
  dialects: [...DIALECTS],
  limits: { challengeFirstMs: 50, challengeMinIntervalMs: 100, challengeMaxIntervalMs: 200, challengeAnswerMs: ANSWER_MS },
});
const keyed = useMsnd({
  dialects: [...DIALECTS],
  challengeKeys: { [OPERATOR_ID]: OPERATOR_KEY, [REKEYED_ID]: REKEYED_KEY },
  limits: { challengeFirstMs: 100, challengeMinIntervalMs: 60_000, challengeMaxIntervalMs: 60_000, challengeAnswerMs: ANSWER_MS },
});
const clients: MsnClient[] = [];

after(() => {
  for (const client of clients) client.close();
});

/** The right answer, computed here: md5hex(challenge + the msmsgs key) (MSNP5.md 9.27). */
function rightAnswer(challenge: string): string {
  return answerWith(challenge, 'Q1P7W2E4J9R8U3S5');
}

/** md5hex(challenge + key), computed here and not with the server's code. */
function answerWith(challenge: string, key: string): string {
  return createHash('md5').update(`${challenge}${key}`, 'latin1').digest('hex');
}

/** VER … USR S on the NS; MSNP6+ answers `USR t OK handle name 1` (MSNP5.md 4.3). */
async function signedIn(server: TestMsnd, user: User, dialect: 'MSNP5' | 'MSNP6' | 'MSNP7'): Promise<MsnpConnection> {
  if (dialect === 'MSNP5') return (await signedInNs(server, user)).conn;
  const offered = [...DIALECTS.slice(DIALECTS.indexOf(dialect)), 'CVR0'];
  const { conn, challenge } = await challengedNs(server, user.handle, offered);
  conn.send('USR', 4, 'MD5', 'S', md5hex(challenge, user.password));
  await expectLine(conn, `USR 4 OK ${user.handle} ${user.wireName} 1`);
  await expectLine(conn, /^MSG Hotmail Hotmail \d+$/);
  return conn;
}

/** `CHG 5 NLN`, then the first challenge, whose digits are returned. */
async function present(conn: MsnpConnection): Promise<string> {
  conn.send('CHG', 5, 'NLN');
  await expectLine(conn, 'CHG 5 NLN');
  return nextChallenge(conn);
}

async function nextChallenge(conn: MsnpConnection): Promise<string> {
  const chl = await expectLine(conn, CHALLENGE_LINE, 3000);
  return chl.args[1]!;
}

function sendQry(conn: MsnpConnection, trid: number, payload: string | Buffer, clientId = CLIENT_ID): void {
  conn.sendPayload('QRY', [trid, clientId], payload);
}

/** An MSNP5 user, online, with `watched` on FL (BLP AL lets it see `watched`). */
async function watcherOf(server: TestMsnd, watched: User): Promise<MsnClient> {
  const user = await newUser(server, 'watcher');
  const watcher = await server.online(user.handle);
  clients.push(watcher);
  await watcher.add('FL', watched.handle, watched.wireName);
  watcher.conn.drain();
  return watcher;
}

describe('the first challenge (MSNP5.md 9.27)', () => {
  for (const dialect of ['MSNP6', 'MSNP7'] as const) {
    test(`${dialect}: none before CHG; exactly CHL 0 <20 digits> after the first CHG`, async () => {
      const user = await newUser(once, dialect);
      const conn = await signedIn(once, user, dialect);
      await conn.expectNothing(undefined, 400);
      const challenge = await present(conn);
      sendQry(conn, 6, rightAnswer(challenge));
      await expectLine(conn, 'QRY 6');
      conn.close();
    });
  }

  test('a right answer gets QRY t; the session goes on, and a later CHG brings no new challenge', async () => {
    const user = await newUser(once, 'right');
    const conn = await signedIn(once, user, 'MSNP6');
    const challenge = await present(conn);
    sendQry(conn, 6, rightAnswer(challenge));
    await expectLine(conn, 'QRY 6');
    conn.send('CHG', 7, 'BSY');
    await expectLine(conn, 'CHG 7 BSY');
    conn.send('CHG', 8, 'NLN');
    await expectLine(conn, 'CHG 8 NLN');
    await conn.expectNothing(undefined, 400);
    await expectOpen(conn);
    conn.close();
  });

  test('the first CHG that fails (201) does not start the challenges', async () => {
    const user = await newUser(once, 'badchg');
    const conn = await signedIn(once, user, 'MSNP6');
    conn.send('CHG', 5, 'XYZ');
    await expectLine(conn, '201 5');
    await conn.expectNothing(undefined, 400);
    await present(conn);
    conn.close();
  });
});

describe('wrong answers: 540 t, then close (MSNP5.md 9.27)', () => {
  const cases: [string, (challenge: string) => { payload: string | Buffer; clientId?: string }][] = [
    ['a wrong answer', () => ({ payload: '0'.repeat(32) })],
    ['the answer to another challenge', () => ({ payload: rightAnswer('29409134351025259292') })],
    ['an unknown client id', (c) => ({ payload: rightAnswer(c), clientId: 'someone@example.com' })],
    ['the client id in other case', (c) => ({ payload: rightAnswer(c), clientId: 'MSMSGS@msnmsgr.com' })],
    ['a 31-byte payload', (c) => ({ payload: rightAnswer(c).slice(0, 31) })],
    ['a 33-byte payload', (c) => ({ payload: `${rightAnswer(c)}0` })],
    ['the answer followed by CR LF (34 bytes)', (c) => ({ payload: `${rightAnswer(c)}\r\n` })],
    ['an empty payload', () => ({ payload: '' })],
    ['the answer in upper case', (c) => ({ payload: rightAnswer(c).toUpperCase() })],
  ];
  for (const [what, make] of cases) {
    test(what, async () => {
      const user = await newUser(once, 'wrong');
      const conn = await signedIn(once, user, 'MSNP6');
      const { payload, clientId } = make(await present(conn));
      sendQry(conn, 6, payload, clientId);
      await expectClose(conn, ['540 6']);
    });
  }

  test('a watcher sees the failed session go offline', async () => {
    const user = await newUser(once, 'wrongseen');
    const watcher = await watcherOf(once, user);
    const conn = await signedIn(once, user, 'MSNP6');
    const challenge = await present(conn);
    await expectLine(watcher.conn, `NLN NLN ${user.handle} ${user.wireName}`);
    sendQry(conn, 6, rightAnswer(`${challenge}1`));
    await expectClose(conn, ['540 6']);
    await expectLine(watcher.conn, `FLN ${user.handle}`);
  });

  // MSNP5.md 9.27 is silent; msnd treats such a QRY as a wrong answer (a decision, challenges.ts).
  test('QRY when no challenge is outstanding: before the first one', async () => {
    const user = await newUser(once, 'early');
    const conn = await signedIn(once, user, 'MSNP6');
    sendQry(conn, 5, rightAnswer('29409134351025259292'));
    await expectClose(conn, ['540 5']);
  });

  test('QRY when no challenge is outstanding: a second QRY after the right one', async () => {
    const user = await newUser(once, 'twice');
    const conn = await signedIn(once, user, 'MSNP6');
    const challenge = await present(conn);
    sendQry(conn, 6, rightAnswer(challenge));
    await expectLine(conn, 'QRY 6');
    sendQry(conn, 7, rightAnswer(challenge));
    await expectClose(conn, ['540 7']);
  });
});

describe('every client id of the period (MSNP5.md 9.27)', () => {
  for (const [id, key] of REFERENCE_PAIRS) {
    test(`${id}: QRY 10 ${id} 32 with md5(challenge + its key) gets QRY 10; the session goes on`, async () => {
      const user = await newUser(once, 'pair');
      const conn = await signedIn(once, user, 'MSNP7');
      const challenge = await present(conn);
      sendQry(conn, 10, answerWith(challenge, key), id);
      await expectLine(conn, 'QRY 10');
      await expectOpen(conn);
      conn.close();
    });
  }

  test('a third-party pair at MSNP6, and at a later challenge too', async () => {
    const [id, key] = REFERENCE_PAIRS[3]!;
    const user = await newUser(often, 'pairlater');
    const conn = await signedIn(often, user, 'MSNP6');
    sendQry(conn, 6, answerWith(await present(conn), key), id);
    await expectLine(conn, 'QRY 6');
    sendQry(conn, 7, answerWith(await nextChallenge(conn), key), id);
    await expectLine(conn, 'QRY 7');
    conn.close();
  });

  const wrong: [string, (challenge: string) => { payload: string; clientId: string }][] = [
    ["a third-party id with the msmsgs key's answer", (c) => ({ payload: rightAnswer(c), clientId: 'PROD0061VRRZH@4F' })],
    ["msmsgs@msnmsgr.com with a third-party key's answer", (c) => ({ payload: answerWith(c, 'JXQ6J@TUOGYV@N0M'), clientId: CLIENT_ID })],
    ['a wrong digest from a third-party id', () => ({ payload: 'f'.repeat(32), clientId: 'PROD0076ENE8*@AW' })],
    ['an unknown id one character off a known one', (c) => ({ payload: answerWith(c, 'JXQ6J@TUOGYV@N0M'), clientId: 'PROD0061VRRZH@4G' })],
    ['a known id in other case', (c) => ({ payload: answerWith(c, 'JXQ6J@TUOGYV@N0M'), clientId: 'prod0061vrrzh@4f' })],
    ['a key used as the id', (c) => ({ payload: answerWith(c, 'JXQ6J@TUOGYV@N0M'), clientId: 'JXQ6J@TUOGYV@N0M' })],
    ["an operator's id on a server that does not have it", (c) => ({ payload: answerWith(c, OPERATOR_KEY), clientId: OPERATOR_ID })],
    [
      'the right answer of a third-party pair, 31 bytes',
      (c) => ({ payload: answerWith(c, 'VT6PX?UQTM4WM%YR').slice(0, 31), clientId: 'PROD0038W!61ZTF9' }),
    ],
    [
      'the right answer of a third-party pair, 33 bytes',
      (c) => ({ payload: `${answerWith(c, 'VT6PX?UQTM4WM%YR')}a`, clientId: 'PROD0038W!61ZTF9' }),
    ],
  ];
  for (const [what, make] of wrong) {
    test(`${what}: 540, then close`, async () => {
      const user = await newUser(once, 'pairwrong');
      const conn = await signedIn(once, user, 'MSNP7');
      const { payload, clientId } = make(await present(conn));
      sendQry(conn, 10, payload, clientId);
      await expectClose(conn, ['540 10']);
    });
  }
});

describe("the operator's client keys (challengeKeys)", () => {
  test('an added pair is accepted, at the first challenge and a client-requested one', async () => {
    const user = await newUser(keyed, 'operator');
    const conn = await signedIn(keyed, user, 'MSNP7');
    sendQry(conn, 6, answerWith(await present(conn), OPERATOR_KEY), OPERATOR_ID);
    await expectLine(conn, 'QRY 6');
    conn.send('CHL', 7);
    const reply = await expectLine(conn, /^CHL 7 [0-9]{20}$/);
    sendQry(conn, 8, answerWith(reply.args[1]!, OPERATOR_KEY), OPERATOR_ID);
    await expectLine(conn, 'QRY 8');
    await expectOpen(conn);
    conn.close();
  });

  test('the built-in pairs stay accepted beside it', async () => {
    for (const [id, key] of REFERENCE_PAIRS.filter(([builtIn]) => builtIn !== REKEYED_ID)) {
      const user = await newUser(keyed, 'beside');
      const conn = await signedIn(keyed, user, 'MSNP6');
      sendQry(conn, 6, answerWith(await present(conn), key), id);
      await expectLine(conn, 'QRY 6');
      conn.close();
    }
  });

  test('a pair for a built-in id replaces its key: the new key is right', async () => {
    const user = await newUser(keyed, 'rekeyed');
    const conn = await signedIn(keyed, user, 'MSNP7');
    sendQry(conn, 6, answerWith(await present(conn), REKEYED_KEY), REKEYED_ID);
    await expectLine(conn, 'QRY 6');
    conn.close();
  });

  test('a pair for a built-in id replaces its key: the old key gets 540, then close', async () => {
    const user = await newUser(keyed, 'oldkey');
    const conn = await signedIn(keyed, user, 'MSNP7');
    sendQry(conn, 6, answerWith(await present(conn), 'QHDCY@7R1TB6W?5B'), REKEYED_ID);
    await expectClose(conn, ['540 6']);
  });

  test("an operator's id with a wrong digest: 540, then close", async () => {
    const user = await newUser(keyed, 'opwrong');
    const conn = await signedIn(keyed, user, 'MSNP7');
    sendQry(conn, 6, answerWith(await present(conn), `${OPERATOR_KEY}x`), OPERATOR_ID);
    await expectClose(conn, ['540 6']);
  });

  test('an unknown id still gets 540, then close', async () => {
    const user = await newUser(keyed, 'opunknown');
    const conn = await signedIn(keyed, user, 'MSNP7');
    sendQry(conn, 6, answerWith(await present(conn), OPERATOR_KEY), 'PROD0099{OP}#%!X');
    await expectClose(conn, ['540 6']);
  });
});

describe('malformed QRY and CHL close without a reply (MSNP5.md 3.6, 3.7)', () => {
  const cases: [string, string | Buffer][] = [
    ['a QRY payload over 1024 bytes (never read)', `QRY 6 ${CLIENT_ID} 1025\r\n`],
    ['a QRY length that is not a number', `QRY 6 ${CLIENT_ID} 3x\r\n`],
    ['a QRY without a client id', `QRY 6 32\r\n${'0'.repeat(32)}`],
    ['a QRY with an extra parameter', `QRY 6 ${CLIENT_ID} extra 32\r\n${'0'.repeat(32)}`],
    ['a QRY with a bad TrID', `QRY x6 ${CLIENT_ID} 32\r\n${'0'.repeat(32)}`],
    ['a CHL without a TrID', 'CHL\r\n'],
    ['a CHL with a parameter', 'CHL 6 29409134351025259292\r\n'],
    ['a CHL with a bad TrID', 'CHL -1\r\n'],
    ['a lower-case chl', 'chl 6\r\n'],
  ];
  for (const [what, bytes] of cases) {
    test(what, async () => {
      const user = await newUser(once, 'malformed');
      const conn = await signedIn(once, user, 'MSNP6');
      await present(conn);
      conn.sendRaw(bytes);
      await expectClose(conn);
    });
  }
});

describe('no answer: OUT, then close (MSNP5.md 9.27, 14)', () => {
  test('the session ends with OUT and a watcher sees FLN', async () => {
    const user = await newUser(once, 'silent');
    const watcher = await watcherOf(once, user);
    const conn = await signedIn(once, user, 'MSNP6');
    await present(conn);
    await expectLine(watcher.conn, `NLN NLN ${user.handle} ${user.wireName}`);
    await expectClose(conn, ['OUT'], ANSWER_MS + 3000);
    await expectLine(watcher.conn, `FLN ${user.handle}`);
  });

  test('asking for new challenges with CHL does not put the deadline off', async () => {
    const user = await newUser(once, 'stalling');
    const conn = await signedIn(once, user, 'MSNP6');
    await present(conn);
    const seen: string[] = [];
    // Without the rule, asking every 150 ms would keep the session open for the whole loop.
    for (let trid = 6; trid < 26 && !conn.isClosed; trid += 1) {
      conn.send('CHL', trid);
      await new Promise((resolve) => setTimeout(resolve, 150));
      seen.push(...conn.drain().map((r) => r.line));
    }
    await conn.waitClosed(3000);
    seen.push(...conn.drain().map((r) => r.line));
    assert.equal(seen.at(-1), 'OUT');
    assert.ok(seen.length < 21, `closed only after ${seen.length - 1} challenges`);
    seen.slice(0, -1).forEach((line, i) => assert.match(line, new RegExp(`^CHL ${i + 6} [0-9]{20}$`)));
  });
});

describe('a challenge the client asks for (MSNP5.md 9.27)', () => {
  test('CHL t → CHL t <20 digits>; its right answer gets QRY t', async () => {
    const user = await newUser(once, 'asks');
    const conn = await signedIn(once, user, 'MSNP6');
    conn.send('CHL', 5);
    const reply = await expectLine(conn, /^CHL 5 [0-9]{20}$/);
    sendQry(conn, 6, rightAnswer(reply.args[1]!));
    await expectLine(conn, 'QRY 6');
    // The server's own challenges still start with the first CHG.
    conn.send('CHG', 7, 'NLN');
    await expectLine(conn, 'CHG 7 NLN');
    const challenge = await nextChallenge(conn);
    sendQry(conn, 8, rightAnswer(challenge));
    await expectLine(conn, 'QRY 8');
    conn.close();
  });

  test('it replaces an outstanding challenge: the old answer gets 540', async () => {
    const user = await newUser(once, 'replaced');
    const conn = await signedIn(once, user, 'MSNP6');
    const first = await present(conn);
    conn.send('CHL', 6);
    const second = (await expectLine(conn, /^CHL 6 [0-9]{20}$/)).args[1]!;
    assert.notEqual(second, first);
    sendQry(conn, 7, rightAnswer(first));
    await expectClose(conn, ['540 7']);
  });

  test('it replaces an outstanding challenge: the new answer is right', async () => {
    const user = await newUser(once, 'renewed');
    const conn = await signedIn(once, user, 'MSNP6');
    await present(conn);
    conn.send('CHL', 6);
    const second = (await expectLine(conn, /^CHL 6 [0-9]{20}$/)).args[1]!;
    sendQry(conn, 7, rightAnswer(second));
    await expectLine(conn, 'QRY 7');
    await expectOpen(conn);
    conn.close();
  });

  test('unanswered, it ends the session with OUT too', async () => {
    const user = await newUser(once, 'asksilent');
    const conn = await signedIn(once, user, 'MSNP6');
    conn.send('CHL', 5);
    await expectLine(conn, /^CHL 5 [0-9]{20}$/);
    await expectClose(conn, ['OUT'], ANSWER_MS + 3000);
  });
});

describe('later challenges (MSNP5.md 9.27)', () => {
  test('come again after each answer, each new, until one is not answered', async () => {
    const user = await newUser(often, 'repeat');
    const watcher = await watcherOf(often, user);
    const conn = await signedIn(often, user, 'MSNP7');
    const seen = [await present(conn)];
    for (let trid = 6; trid < 10; trid += 1) {
      sendQry(conn, trid, rightAnswer(seen.at(-1)!));
      await expectLine(conn, `QRY ${trid}`);
      seen.push(await nextChallenge(conn));
    }
    assert.equal(new Set(seen).size, seen.length);
    await expectClose(conn, ['OUT'], ANSWER_MS + 3000);
    await watcher.conn.next((r) => r.line === `FLN ${user.handle}`, 3000);
  });

  test('a wrong answer to a later one gets 540 (sessions.md 17b)', async () => {
    const user = await newUser(often, 'laterwrong');
    const conn = await signedIn(often, user, 'MSNP6');
    sendQry(conn, 6, rightAnswer(await present(conn)));
    await expectLine(conn, 'QRY 6');
    await nextChallenge(conn);
    sendQry(conn, 7, '0'.repeat(32));
    await expectClose(conn, ['540 7']);
  });
});

describe('MSNP5 sessions have no challenges (MSNP5.md 4.3, 3.7)', () => {
  test('no CHL after CHG in the time an MSNP6 session gets one', async () => {
    const user = await newUser(once, 'msnp5');
    const conn = await signedIn(once, user, 'MSNP5');
    conn.send('CHG', 5, 'NLN');
    await expectLine(conn, 'CHG 5 NLN');
    await conn.expectNothing(undefined, 600);
    await expectOpen(conn);
    conn.close();
  });

  test('QRY closes the connection as an unknown command', async () => {
    const user = await newUser(once, 'msnp5qry');
    const conn = await signedIn(once, user, 'MSNP5');
    sendQry(conn, 5, rightAnswer('29409134351025259292'));
    await expectClose(conn);
  });

  test('CHL closes the connection as an unknown command', async () => {
    const user = await newUser(once, 'msnp5chl');
    const conn = await signedIn(once, user, 'MSNP5');
    conn.send('CHL', 5);
    await expectClose(conn);
  });
});

describe('the client library answers challenges itself', () => {
  for (const dialect of ['MSNP6', 'MSNP7'] as const) {
    test(`MsnClient at ${dialect} stays signed in across several challenges`, async () => {
      const user = await newUser(often, `lib${dialect}`);
      const client = await often.login(user.handle, { dialects: [dialect, 'MSNP5', 'CVR0'] });
      clients.push(client);
      assert.equal(client.dialect, dialect);
      assert.equal(client.verified, true);
      const answered: string[] = [];
      const sent: string[] = [];
      client.on('challenge', (challenge) => answered.push(challenge));
      client.conn.on('sent', (name, args) => {
        if (name === 'QRY') sent.push([name, ...args].join(' '));
      });
      await client.changeStatus('NLN');
      while (answered.length < 4) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(client.conn.isClosed, false);
      }
      assert.equal(new Set(answered).size, answered.length);
      assert.equal(sent.length, answered.length);
      for (const line of sent) assert.match(line, new RegExp(`^QRY \\d+ ${CLIENT_ID} 32$`));
      // The CHL lines and the QRY replies were taken from the inbox; the session still works.
      assert.equal(client.status, 'NLN');
      await client.changeStatus('BSY');
      assert.deepEqual(
        client.conn.drain().map((r) => r.line),
        [],
      );
      await client.signOut();
    });
  }
});

describe('challenge settings (config.ts limits)', () => {
  test('default to 5 s, 5–30 min and 50 s (MSNP5.md 9.27, 14)', () => {
    const { limits } = parseServerConfig({});
    assert.equal(limits.challengeFirstMs, 5_000);
    assert.equal(limits.challengeMinIntervalMs, 300_000);
    assert.equal(limits.challengeMaxIntervalMs, 1_800_000);
    assert.equal(limits.challengeAnswerMs, 50_000);
  });

  test('refuse a maximum interval below the minimum', () => {
    assert.throws(
      () => parseServerConfig({ limits: { challengeMinIntervalMs: 2000, challengeMaxIntervalMs: 1000 } }),
      /limits\.challengeMaxIntervalMs: must not be less than challengeMinIntervalMs/,
    );
    assert.equal(
      parseServerConfig({ limits: { challengeMinIntervalMs: 1000, challengeMaxIntervalMs: 1000 } }).limits.challengeMaxIntervalMs,
      1000,
    );
  });

  test('challengeKeys: none by default; ids with any visible ASCII, keys with any character', () => {
    assert.deepEqual(parseServerConfig({}).challengeKeys, {});
    const keys = { 'PROD0038W!61ZTF9': 'a b', '{}%@!?*#_=~': 'K', ['x'.repeat(2048 - 'QRY 4294967295  32'.length)]: 'é' };
    assert.deepEqual(parseServerConfig({ challengeKeys: keys }).challengeKeys, keys);
  });

  test('challengeKeys: a malformed pair is refused with a message naming the setting', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'has space': 'KEY' }, /challengeKeys: client id "has space": a client id must be one word of visible ASCII characters/],
      [{ '': 'KEY' }, /challengeKeys: client id "": a client id must be one word/],
      [{ 'tab\tid': 'KEY' }, /challengeKeys: client id "tab\\tid"/],
      [{ 'line\r\nid': 'KEY' }, /challengeKeys: client id "line\\r\\nid"/],
      [{ 'caf\u00e9@example.com': 'KEY' }, /challengeKeys: client id "café@example\.com"/],
      [
        { ['x'.repeat(2048)]: 'KEY' },
        /challengeKeys: client id "x+": a client id this long does not fit in a QRY line of limits\.maxLineBytes \(2048 bytes\)/,
      ],
      [{ 'PROD0061VRRZH@4F': '' }, /challengeKeys\.PROD0061VRRZH@4F: the key must not be empty/],
    ];
    for (const [challengeKeys, message] of cases) {
      assert.throws(
        () => parseServerConfig({ challengeKeys }),
        (error: Error) => {
          assert.match(error.message, /^invalid settings:\n/);
          assert.match(error.message, message);
          return true;
        },
        JSON.stringify(challengeKeys),
      );
    }
  });

  test('challengeKeys: the line limit that counts is the configured one', () => {
    const id = 'x'.repeat(64 - 'QRY 4294967295  32'.length);
    assert.deepEqual(parseServerConfig({ challengeKeys: { [id]: 'K' }, limits: { maxLineBytes: 64 } }).challengeKeys, { [id]: 'K' });
    assert.throws(
      () => parseServerConfig({ challengeKeys: { [`${id}x`]: 'K' }, limits: { maxLineBytes: 64 } }),
      /challengeKeys: .*limits\.maxLineBytes \(64 bytes\)/,
    );
  });

  test('refuse zero, negative, fractional and over-long delays', () => {
    for (const bad of [0, -1, 1.5, 2 ** 31]) {
      for (const key of ['challengeFirstMs', 'challengeMinIntervalMs', 'challengeAnswerMs'] as const) {
        assert.throws(() => parseServerConfig({ limits: { [key]: bad } }), new RegExp(`limits\\.${key}`), `${key}=${bad}`);
      }
    }
  });
});
