/**
 * PRP and BPR over TCP (MSNP5.md 8.1, 8.4, 9.14, 9.15, D-10, 4.3, 14; sessions.md 9): setting and
 * clearing phone numbers, MOB against MBE, 715 and the inputs that close, the owner's and every
 * watcher's version, and the BPR line each synced watcher gets with the value it may see.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { ask } from '../helpers/ask.ts';
import { useMsnd } from '../helpers/msnd.ts';
import {
  account,
  assertClosed,
  assertNothingMore,
  barrier,
  closeAll,
  freshUsers,
  raiseVersion,
  rawLine,
  setPhones,
  signIn,
  synDump,
  versionOf,
} from '../helpers/stored-lists.ts';

const s = useMsnd();

/** The five PRP lines of a SYN dump (after SYN, GTC, BLP). */
async function ownPhoneLines(client: MsnClient, trid: number): Promise<string[]> {
  return (await synDump(client.conn, trid, 0)).slice(3, 8);
}

describe('sessions.md 9, replayed', () => {
  test('PRP PHH/PHW/MOB with BPR to an allowed and a blocked watcher; 715; PHONE closes', async () => {
    const alice = 'alice@example.com';
    const bob = 'bob@example.com';
    const carol = 'carol@example.com';
    await s.addUsers(
      { handle: alice, password: 'secret123', name: 'Alice A' },
      { handle: bob, password: 'secret123', name: 'Bob B' },
      { handle: carol, password: 'secret123', name: 'Carol C' },
    );
    await setPhones(s, bob, { PHH: '1%20(555)%200142', PHW: '1%20(555)%200150', PHM: '1%20(555)%200199', MOB: 'Y', MBE: 'Y' });
    const b0 = await signIn(s, bob);
    await b0.add('AL', alice, 'Alice%20A');
    await b0.add('BL', carol, 'Carol%20C');
    for (const watcher of [alice, carol]) {
      const w = await signIn(s, watcher);
      await w.add('FL', bob, 'Bob%20B');
    }
    closeAll();
    await raiseVersion(s, bob, 40);
    await raiseVersion(s, alice, 29);
    await raiseVersion(s, carol, 50);
    const b = await signIn(s, bob, { sync: true, present: true });
    const a = await signIn(s, alice, { sync: true, present: true });
    const c = await signIn(s, carol, { sync: true, present: true });

    assert.equal(await ask(b.conn, 'PRP', 70, 'PHH', '1%20(555)%200143'), 'PRP 70 41 PHH 1%20(555)%200143');
    assert.equal((await a.conn.next('BPR')).line, 'BPR 30 bob@example.com PHH 1%20(555)%200143');
    assert.equal((await c.conn.next('BPR')).line, 'BPR 51 bob@example.com PHH');
    assert.equal(await ask(b.conn, 'PRP', 71, 'PHW'), 'PRP 71 42 PHW');
    assert.equal((await a.conn.next('BPR')).line, 'BPR 31 bob@example.com PHW');
    assert.equal((await c.conn.next('BPR')).line, 'BPR 52 bob@example.com PHW');
    assert.equal(await ask(b.conn, 'PRP', 72, 'MOB', 'N'), 'PRP 72 43 MOB N');
    assert.equal((await a.conn.next('BPR')).line, 'BPR 32 bob@example.com MOB N');
    assert.equal((await c.conn.next('BPR')).line, 'BPR 53 bob@example.com MOB N');
    assert.equal(await ask(b.conn, 'PRP', 73, 'PHX', 5), '715 73');
    assert.equal(await ask(b.conn, 'PRP', 74, 'phh', 5), '715 74');
    await assertNothingMore(a.conn);
    await assertNothingMore(c.conn);
    b.conn.send('PRP', 75, 'PHONE', 5);
    await assertClosed(b.conn);
    assert.equal((await a.conn.next('FLN')).line, 'FLN bob@example.com');
    await assertNothingMore(a.conn);
    await assertNothingMore(c.conn);
    assert.deepEqual([await versionOf(s, bob), await versionOf(s, alice), await versionOf(s, carol)], [43, 32, 53]);
  });
});

describe('PRP: setting and clearing (MSNP5.md 9.14)', () => {
  test('the seed example: PRP PHH 123%20(4567) keeps the parentheses raw', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    await raiseVersion(s, u.owner, 6);
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'PRP', 10, 'PHH', '123%20(4567)'), 'PRP 10 7 PHH 123%20(4567)');
    assert.equal((await account(s, u.owner)).phones.PHH, '123%20(4567)');
  });

  test('PHH, PHW, PHM with values, then without (cleared); SYN shows each state', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'PRP', 10, 'PHH', '1%20(555)%200100'), 'PRP 10 2 PHH 1%20(555)%200100');
    assert.equal(await ask(owner.conn, 'PRP', 11, 'PHW', '%2B44%2020%207946'), 'PRP 11 3 PHW %2B44%2020%207946');
    assert.equal(await ask(owner.conn, 'PRP', 12, 'PHM', '0171-555'), 'PRP 12 4 PHM 0171-555');
    assert.deepEqual(await ownPhoneLines(owner, 13), [
      'PRP 13 4 PHH 1%20(555)%200100',
      'PRP 13 4 PHW %2B44%2020%207946',
      'PRP 13 4 PHM 0171-555',
      'PRP 13 4 MOB N',
      'PRP 13 4 MBE N',
    ]);
    assert.equal(await ask(owner.conn, 'PRP', 14, 'PHW'), 'PRP 14 5 PHW');
    assert.equal(await ask(owner.conn, 'PRP', 15, 'PHH'), 'PRP 15 6 PHH');
    const stored = await account(s, u.owner);
    assert.deepEqual(stored.phones, { PHH: '', PHW: '', PHM: '0171-555', MOB: 'N', MBE: 'N' });
    assert.deepEqual(await ownPhoneLines(owner, 16), [
      'PRP 16 6 PHH',
      'PRP 16 6 PHW',
      'PRP 16 6 PHM 0171-555',
      'PRP 16 6 MOB N',
      'PRP 16 6 MBE N',
    ]);
  });

  test('a value of 95 encoded bytes is accepted; 96 closes the connection', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const first = await signIn(s, u.owner);
    const v95 = `${'%31'.repeat(31)}12`;
    assert.equal(await ask(first.conn, 'PRP', 10, 'PHM', v95), `PRP 10 2 PHM ${v95}`);
    first.conn.send('PRP', 11, 'PHH', '%31'.repeat(32));
    await assertClosed(first.conn);
    const second = await signIn(s, u.owner);
    second.conn.send('PRP', 12, 'PHW', '1'.repeat(96));
    await assertClosed(second.conn);
    const stored = await account(s, u.owner);
    assert.deepEqual([stored.phones.PHH, stored.phones.PHW, stored.listVersion], ['', '', 2]);
  });

  test('raw bytes ≥ 0x80 in a value are re-encoded canonically (MSNP5.md 3.4)', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    owner.conn.sendRaw(rawLine('PRP 10 PHH {}', Buffer.from('555·0100', 'utf8')));
    assert.equal((await owner.conn.next((r) => r.args[0] === '10')).line, 'PRP 10 2 PHH 555%C2%B70100');
    assert.equal((await account(s, u.owner)).phones.PHH, '555%C2%B70100');
  });

  test('the change is committed before the reply', async () => {
    const u = await freshUsers(s, { owner: 'Owner', watcher: 'Watcher' });
    const watcher = await signIn(s, u.watcher);
    await watcher.add('FL', u.owner, 'O');
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'PRP', 10, 'PHW', '42'), 'PRP 10 3 PHW 42');
    const stored = await account(s, u.owner);
    assert.deepEqual([stored.phones.PHW, stored.listVersion], ['42', 3]);
    assert.equal(await versionOf(s, u.watcher), 3);
  });
});

describe('PRP MOB and MBE (MSNP5.md 9.14, 8.1)', () => {
  test('MOB Y while MBE is N is answered and stored as MOB N', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'PRP', 10, 'MOB', 'Y'), 'PRP 10 2 MOB N');
    assert.equal((await account(s, u.owner)).phones.MOB, 'N');
    assert.deepEqual((await ownPhoneLines(owner, 11)).slice(3), ['PRP 11 2 MOB N', 'PRP 11 2 MBE N']);
  });

  test('with MBE Y, MOB Y is stored as Y and MOB N as N', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    await setPhones(s, u.owner, { MBE: 'Y' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'PRP', 10, 'MOB', 'Y'), 'PRP 10 2 MOB Y');
    assert.equal((await account(s, u.owner)).phones.MOB, 'Y');
    assert.deepEqual((await ownPhoneLines(owner, 11)).slice(3), ['PRP 11 2 MOB Y', 'PRP 11 2 MBE Y']);
    assert.equal(await ask(owner.conn, 'PRP', 12, 'MOB', 'N'), 'PRP 12 3 MOB N');
    assert.equal((await account(s, u.owner)).phones.MOB, 'N');
  });

  test('MBE is server-controlled: PRP MBE → 715, nothing changes', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'PRP', 10, 'MBE', 'Y'), '715 10');
    assert.equal(await ask(owner.conn, 'PRP', 11, 'MBE', 'N'), '715 11');
    assert.equal(await ask(owner.conn, 'PRP', 12, 'MBE'), '715 12');
    const stored = await account(s, u.owner);
    assert.deepEqual([stored.phones.MBE, stored.listVersion], ['N', 1]);
  });

  for (const value of ['X', 'y', 'YES']) {
    test(`MOB ${value} closes the connection`, async () => {
      // 9.14 allows only Y|N and names no error code; msnd treats it as out of the value set (3.7).
      const u = await freshUsers(s, { owner: 'Owner' });
      const owner = await signIn(s, u.owner);
      owner.conn.send('PRP', 10, 'MOB', value);
      await assertClosed(owner.conn);
      assert.equal(await versionOf(s, u.owner), 1);
    });
  }
});

describe('PRP: unknown properties and bad input', () => {
  for (const property of ['PHX', 'phh', 'Phh', 'mob', 'MO', 'P', 'MFN', 'WWE']) {
    test(`PRP ${property} → 715, the session goes on`, async () => {
      const u = await freshUsers(s, { owner: 'Owner' });
      const owner = await signIn(s, u.owner);
      assert.equal(await ask(owner.conn, 'PRP', 10, property, 5), '715 10');
      assert.equal(await ask(owner.conn, 'PRP', 11, property), '715 11');
      assert.equal(await ask(owner.conn, 'PRP', 12, 'PHH', 5), 'PRP 12 2 PHH 5');
    });
  }

  const closing: [string, (string | number)[]][] = [
    ['PRP PHONE (sessions.md 9)', ['PHONE', 5]],
    ['PRP PHHH', ['PHHH', 5]],
    ['PRP MOBY without a value', ['MOBY']],
    ['PRP without a property', []],
    ['PRP with two values', ['PHH', 1, 2]],
  ];
  for (const [what, args] of closing) {
    test(`${what} closes the connection`, async () => {
      const u = await freshUsers(s, { owner: 'Owner' });
      const owner = await signIn(s, u.owner);
      owner.conn.send('PRP', 10, ...args);
      await assertClosed(owner.conn);
      assert.equal(await versionOf(s, u.owner), 1);
    });
  }

  for (const value of ['%FF', '1%0A2']) {
    test(`a value that is not clean UTF-8 text (${value}) closes the connection`, async () => {
      // 3.4 gives no code for a bad phone value; msnd closes, as for a value that is too long.
      const u = await freshUsers(s, { owner: 'Owner' });
      const owner = await signIn(s, u.owner);
      owner.conn.send('PRP', 10, 'PHH', value);
      await assertClosed(owner.conn);
      assert.equal((await account(s, u.owner)).phones.PHH, '');
    });
  }

  test('PRP in an MSNP4 session closes the connection (the command is MSNP5+)', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner, { dialects: ['MSNP4'] });
    owner.conn.send('PRP', 10, 'PHH', '5');
    await assertClosed(owner.conn);
    assert.equal((await account(s, u.owner)).phones.PHH, '');
  });

  test('a client sending BPR is disconnected (MSNP5.md 9.15)', async () => {
    const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
    const owner = await signIn(s, u.owner, { sync: true });
    owner.conn.send('BPR', 2, u.contact, 'PHH', '5');
    await assertClosed(owner.conn);
  });
});

describe('PRP: watchers and their BPR lines (MSNP5.md 8.4, 9.14, 9.15, D-10)', () => {
  test("every watcher's version +1; BPR to synced MSNP5 sessions only, with the value each may see", async () => {
    const u = await freshUsers(s, {
      owner: 'Owner',
      friend: 'Friend',
      blocked: 'Blocked',
      unsynced: 'Unsynced',
      offline: 'Offline',
      old: 'Old',
      other: 'Other',
    });
    const setup = await signIn(s, u.owner);
    await setup.add('BL', u.blocked, 'B');
    await setup.add('FL', u.other, 'X');
    await setup.add('AL', u.other, 'X');
    for (const w of [u.friend, u.blocked, u.unsynced, u.offline, u.old]) {
      const c = await signIn(s, w);
      await c.add('FL', u.owner, 'O');
    }
    closeAll();
    const versions = async (): Promise<number[]> =>
      Promise.all([u.owner, u.friend, u.blocked, u.unsynced, u.offline, u.old, u.other].map((h) => versionOf(s, h)));
    assert.deepEqual(await versions(), [9, 2, 2, 2, 2, 2, 2]);

    const friend = await signIn(s, u.friend, { sync: true });
    const blocked = await signIn(s, u.blocked, { sync: true, present: true });
    const unsynced = await signIn(s, u.unsynced, { present: true });
    const old = await signIn(s, u.old, { sync: true, dialects: ['MSNP4'] });
    const other = await signIn(s, u.other, { sync: true });
    const owner = await signIn(s, u.owner, { sync: true });

    assert.equal(await ask(owner.conn, 'PRP', 10, 'PHM', '555%200199'), 'PRP 10 10 PHM 555%200199');
    assert.deepEqual(await versions(), [10, 3, 3, 3, 3, 3, 2]);
    assert.equal((await friend.conn.next('BPR')).line, `BPR 3 ${u.owner} PHM 555%200199`);
    assert.equal((await blocked.conn.next('BPR')).line, `BPR 3 ${u.owner} PHM`);
    for (const c of [friend, blocked, unsynced, old, other, owner]) await assertNothingMore(c.conn);

    assert.equal(await ask(owner.conn, 'PRP', 11, 'PHM'), 'PRP 11 11 PHM');
    assert.equal((await friend.conn.next('BPR')).line, `BPR 4 ${u.owner} PHM`);
    assert.equal((await blocked.conn.next('BPR')).line, `BPR 4 ${u.owner} PHM`);
    assert.deepEqual(await versions(), [11, 4, 4, 4, 4, 4, 2]);
    for (const c of [friend, blocked, unsynced, old, other, owner]) await assertNothingMore(c.conn);
  });

  test('MOB Y reaches an allowed watcher as Y and a blocked one as N', async () => {
    const u = await freshUsers(s, { owner: 'Owner', friend: 'Friend', blocked: 'Blocked' });
    await setPhones(s, u.owner, { MBE: 'Y' });
    const setup = await signIn(s, u.owner);
    await setup.add('BL', u.blocked, 'B');
    for (const w of [u.friend, u.blocked]) {
      const c = await signIn(s, w);
      await c.add('FL', u.owner, 'O');
    }
    const friend = await signIn(s, u.friend, { sync: true });
    const blocked = await signIn(s, u.blocked, { sync: true });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'PRP', 10, 'MOB', 'Y'), 'PRP 10 5 MOB Y');
    assert.equal((await friend.conn.next('BPR')).line, `BPR 3 ${u.owner} MOB Y`);
    assert.equal((await blocked.conn.next('BPR')).line, `BPR 3 ${u.owner} MOB N`);
  });

  test('under BLP BL only watchers on the AL see the value', async () => {
    const u = await freshUsers(s, { owner: 'Owner', allowed: 'Allowed', other: 'Other' });
    const setup = await signIn(s, u.owner);
    await setup.add('AL', u.allowed, 'A');
    await setup.setBlp('BL');
    for (const w of [u.allowed, u.other]) {
      const c = await signIn(s, w);
      await c.add('FL', u.owner, 'O');
    }
    const allowed = await signIn(s, u.allowed, { sync: true });
    const other = await signIn(s, u.other, { sync: true });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'PRP', 10, 'PHH', '1'), 'PRP 10 6 PHH 1');
    assert.equal((await allowed.conn.next('BPR')).line, `BPR 3 ${u.owner} PHH 1`);
    assert.equal((await other.conn.next('BPR')).line, `BPR 3 ${u.owner} PHH`);
  });

  test("a watcher's later SYN shows the new value in the BPR after the owner's LST FL line", async () => {
    const u = await freshUsers(s, { owner: 'Owner', watcher: 'Watcher' });
    const w0 = await signIn(s, u.watcher);
    await w0.add('FL', u.owner, 'O');
    closeAll();
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'PRP', 10, 'PHW', '77'), 'PRP 10 3 PHW 77');
    const watcher = await signIn(s, u.watcher);
    assert.deepEqual((await synDump(watcher.conn, 8, 2)).slice(8, 13), [
      `LST 8 FL 3 1 1 ${u.owner} O`,
      `BPR 3 ${u.owner} PHH`,
      `BPR 3 ${u.owner} PHW 77`,
      `BPR 3 ${u.owner} PHM`,
      `BPR 3 ${u.owner} MOB N`,
    ]);
  });

  test('a session gets BPR once it has sent SYN, not before', async () => {
    const u = await freshUsers(s, { owner: 'Owner', watcher: 'Watcher' });
    const watcher = await signIn(s, u.watcher);
    await watcher.add('FL', u.owner, 'O');
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'PRP', 10, 'PHH', '1'), 'PRP 10 3 PHH 1');
    await assertNothingMore(watcher.conn);
    assert.equal(await ask(watcher.conn, 'SYN', 20, 3), 'SYN 20 3');
    assert.equal(await ask(owner.conn, 'PRP', 11, 'PHH', '2'), 'PRP 11 4 PHH 2');
    assert.equal((await watcher.conn.next('BPR')).line, `BPR 4 ${u.owner} PHH 2`);
    await barrier(watcher.conn);
  });
});
