/**
 * GTC and BLP as stored settings over TCP (MSNP5.md 8.1, 8.4, 9.6, 9.7, 3.7; sessions.md 6, 16b):
 * the reply lines with the new version, 218 for the current value, close for anything outside the
 * value set, and that the setting is stored (SYN, a later session, the store). What BLP changes in
 * presence is tested elsewhere.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ask } from '../helpers/ask.ts';
import { useMsnd } from '../helpers/msnd.ts';
import { account, assertClosed, assertNothingMore, closeAll, freshUsers, raiseVersion, signIn, synDump } from '../helpers/stored-lists.ts';

const s = useMsnd();

describe('GTC (MSNP5.md 9.6)', () => {
  test('sessions.md 6: GTC N → new version, GTC N again → 218', async () => {
    const u = await freshUsers(s, { alice: 'Alice' });
    await raiseVersion(s, u.alice, 25);
    const alice = await signIn(s, u.alice, { sync: true, present: true });
    assert.equal(await ask(alice.conn, 'GTC', 47, 'N'), 'GTC 47 26 N');
    assert.equal(await ask(alice.conn, 'GTC', 48, 'N'), '218 48');
    await assertNothingMore(alice.conn);
  });

  test('a new account has GTC A: GTC A → 218; A → N → A bumps the version twice', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'GTC', 10, 'A'), '218 10');
    assert.equal(await ask(owner.conn, 'GTC', 11, 'N'), 'GTC 11 2 N');
    assert.equal(await ask(owner.conn, 'GTC', 12, 'A'), 'GTC 12 3 A');
    assert.equal(await ask(owner.conn, 'GTC', 13, 'A'), '218 13');
    const stored = await account(s, u.owner);
    assert.equal(stored.gtc, 'A');
    assert.equal(stored.listVersion, 3);
  });

  test('the value is committed before the reply and shown by SYN and in a later session', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'GTC', 10, 'N'), 'GTC 10 2 N');
    const stored = await account(s, u.owner);
    assert.deepEqual([stored.gtc, stored.listVersion], ['N', 2]);
    assert.deepEqual((await synDump(owner.conn, 11, 0)).slice(0, 3), ['SYN 11 2', 'GTC 11 2 N', 'BLP 11 2 AL']);
    closeAll();
    const later = await signIn(s, u.owner);
    assert.equal(await ask(later.conn, 'GTC', 12, 'N'), '218 12');
    assert.deepEqual((await synDump(later.conn, 13, 0)).slice(0, 3), ['SYN 13 2', 'GTC 13 2 N', 'BLP 13 2 AL']);
  });

  test('218 leaves the version alone', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    for (let trid = 10; trid < 15; trid += 1) assert.equal(await ask(owner.conn, 'GTC', trid, 'A'), `218 ${trid}`);
    assert.equal((await account(s, u.owner)).listVersion, 1);
    assert.equal(await ask(owner.conn, 'SYN', 15, 1), 'SYN 15 1');
  });

  test('GTC exists since MSNP2 and is answered the same way', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner, { dialects: ['MSNP2'] });
    assert.equal(await ask(owner.conn, 'GTC', 10, 'N'), 'GTC 10 2 N');
    assert.equal(await ask(owner.conn, 'GTC', 11, 'N'), '218 11');
  });

  const closing: [string, (string | number)[]][] = [
    ['GTC Y (sessions.md 16b)', ['Y']],
    ['GTC a (lower case)', ['a']],
    ['GTC n (lower case)', ['n']],
    ['GTC AL', ['AL']],
    ['GTC 0', [0]],
    ['GTC without a value', []],
    ['GTC with two values', ['A', 'N']],
  ];
  for (const [what, args] of closing) {
    test(`${what} closes the connection and changes nothing`, async () => {
      const u = await freshUsers(s, { owner: 'Owner' });
      const owner = await signIn(s, u.owner);
      owner.conn.send('GTC', 46, ...args);
      await assertClosed(owner.conn);
      const stored = await account(s, u.owner);
      assert.deepEqual([stored.gtc, stored.listVersion], ['A', 1]);
    });
  }
});

describe('BLP (MSNP5.md 9.7)', () => {
  test('sessions.md 6: BLP BL → new version, BLP BL → 218, BLP AL → new version', async () => {
    const u = await freshUsers(s, { alice: 'Alice' });
    await raiseVersion(s, u.alice, 22);
    const alice = await signIn(s, u.alice, { sync: true, present: true });
    assert.equal(await ask(alice.conn, 'BLP', 43, 'BL'), 'BLP 43 23 BL');
    assert.equal(await ask(alice.conn, 'BLP', 44, 'BL'), '218 44');
    assert.equal(await ask(alice.conn, 'BLP', 45, 'AL'), 'BLP 45 24 AL');
    await assertNothingMore(alice.conn);
  });

  test('a new account has BLP AL: BLP AL → 218', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'BLP', 10, 'AL'), '218 10');
    assert.equal((await account(s, u.owner)).listVersion, 1);
  });

  test('the value is committed before the reply and shown by SYN and in a later session', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'BLP', 10, 'BL'), 'BLP 10 2 BL');
    const stored = await account(s, u.owner);
    assert.deepEqual([stored.blp, stored.listVersion], ['BL', 2]);
    assert.deepEqual((await synDump(owner.conn, 11, 0)).slice(0, 3), ['SYN 11 2', 'GTC 11 2 A', 'BLP 11 2 BL']);
    closeAll();
    const later = await signIn(s, u.owner);
    assert.equal(await ask(later.conn, 'BLP', 12, 'BL'), '218 12');
    assert.equal(await ask(later.conn, 'BLP', 13, 'AL'), 'BLP 13 3 AL');
    assert.equal((await account(s, u.owner)).blp, 'AL');
  });

  test('GTC and BLP are independent settings, each edit one version', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'BLP', 10, 'BL'), 'BLP 10 2 BL');
    assert.equal(await ask(owner.conn, 'GTC', 11, 'N'), 'GTC 11 3 N');
    assert.equal(await ask(owner.conn, 'BLP', 12, 'BL'), '218 12');
    assert.equal(await ask(owner.conn, 'GTC', 13, 'N'), '218 13');
    assert.deepEqual((await synDump(owner.conn, 14, 2)).slice(0, 3), ['SYN 14 3', 'GTC 14 3 N', 'BLP 14 3 BL']);
  });

  test('BLP exists since MSNP2 and is answered the same way', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner, { dialects: ['MSNP2'] });
    assert.equal(await ask(owner.conn, 'BLP', 10, 'BL'), 'BLP 10 2 BL');
    assert.equal(await ask(owner.conn, 'BLP', 11, 'BL'), '218 11');
  });

  const closing: [string, (string | number)[]][] = [
    ['BLP CL', ['CL']],
    ['BLP al (lower case)', ['al']],
    ['BLP A', ['A']],
    ['BLP RL', ['RL']],
    ['BLP FL', ['FL']],
    ['BLP without a value', []],
    ['BLP with two values', ['AL', 'BL']],
  ];
  for (const [what, args] of closing) {
    test(`${what} closes the connection and changes nothing`, async () => {
      const u = await freshUsers(s, { owner: 'Owner' });
      const owner = await signIn(s, u.owner);
      owner.conn.send('BLP', 43, ...args);
      await assertClosed(owner.conn);
      const stored = await account(s, u.owner);
      assert.deepEqual([stored.blp, stored.listVersion], ['AL', 1]);
    });
  }
});
