/**
 * ADD, REM and REA over TCP (MSNP5.md 3.4, 3.5, 8.2, 8.4, 9.8, 9.9, 9.10, 14; sessions.md 4, 5, 8,
 * 16b): the ADD checks in the order of the 9.8 table, names kept exactly as the client encoded
 * them, the RL mirror with its ADD 0 RL / REM 0 RL pushes, BPR after ADD FL, list versions of
 * both sides, and that every edit is committed before its reply.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { handleAsName } from '../../src/client/names.ts';
import { ask } from '../helpers/ask.ts';
import { useMsnd } from '../helpers/msnd.ts';
import {
  askLines,
  assertClosed,
  barrier,
  assertNothingMore,
  closeAll,
  freshUsers,
  listLines,
  rawLine,
  rawLogin,
  raiseVersion,
  setPhones,
  signIn,
  storedRecord,
  synDump,
  versionOf,
} from '../helpers/stored-lists.ts';

const s = useMsnd();
/** A second server with tiny lists and a short self-rename window. */
const small = useMsnd({ limits: { forwardList: 2, otherLists: 2, selfRenameWindowMs: 2000 } });

const isIln = (trid: number) => (r: { name: string; args: string[] }) => r.name === 'ILN' && r.args[0] === String(trid);

describe('sessions.md 4 and 5, replayed', () => {
  test('4: ADD AL/FL, BPR and ILN to the adder, ADD 0 RL to the contact, 215, 219', async () => {
    const alice = 'alice@example.com';
    const dave = 'dave@example.com';
    await s.addUsers({ handle: alice, password: 'secret123', name: 'Alice A' }, { handle: dave, password: 'secret123', name: 'Dave D' });
    await setPhones(s, alice, { PHH: '1%20(555)%200100' });
    await raiseVersion(s, alice, 12);
    await raiseVersion(s, dave, 30);
    const a = await signIn(s, alice, { sync: true, present: true });
    const d = await signIn(s, dave, { sync: true, present: true });

    assert.equal(await ask(a.conn, 'ADD', 20, 'AL', dave, 'dave%40example.com'), 'ADD 20 AL 13 dave@example.com dave%40example.com');
    assert.deepEqual(await askLines(a.conn, 'ADD', 21, ['FL', dave, 'dave%40example.com'], isIln(21)), [
      'ADD 21 FL 14 dave@example.com dave%40example.com',
      'BPR 14 dave@example.com PHH',
      'BPR 14 dave@example.com PHW',
      'BPR 14 dave@example.com PHM',
      'BPR 14 dave@example.com MOB N',
      'ILN 21 NLN dave@example.com Dave%20D',
    ]);
    assert.equal((await d.conn.next('ADD')).line, 'ADD 0 RL 31 alice@example.com Alice%20A');

    assert.equal(await ask(d.conn, 'ADD', 5, 'AL', alice, 'Alice%20A'), 'ADD 5 AL 32 alice@example.com Alice%20A');
    assert.deepEqual(await askLines(d.conn, 'ADD', 6, ['FL', alice, 'Alice%20A'], isIln(6)), [
      'ADD 6 FL 33 alice@example.com Alice%20A',
      'BPR 33 alice@example.com PHH 1%20(555)%200100',
      'BPR 33 alice@example.com PHW',
      'BPR 33 alice@example.com PHM',
      'BPR 33 alice@example.com MOB N',
      'ILN 6 NLN alice@example.com Alice%20A',
    ]);
    assert.equal((await a.conn.next('ADD')).line, 'ADD 0 RL 15 dave@example.com Dave%20D');

    assert.equal(await ask(a.conn, 'ADD', 22, 'FL', dave, 'dave%40example.com'), '215 22');
    assert.equal(await ask(a.conn, 'ADD', 23, 'BL', dave, 'dave%40example.com'), '219 23');
    await assertNothingMore(a.conn);
    await assertNothingMore(d.conn);
    assert.equal(await versionOf(s, alice), 15);
    assert.equal(await versionOf(s, dave), 33);
  });

  test('5: REM FL/AL, REM 0 RL, 216, REM RL closes and the watcher sees FLN', async () => {
    const u = await freshUsers(s, { alice: 'Alice A', dave: 'Dave D' });
    const a0 = await signIn(s, u.alice);
    await a0.add('AL', u.dave, 'D');
    await a0.add('FL', u.dave, 'D');
    const d0 = await signIn(s, u.dave);
    await d0.add('AL', u.alice, 'A');
    await d0.add('FL', u.alice, 'A');
    closeAll();
    await raiseVersion(s, u.alice, 15);
    await raiseVersion(s, u.dave, 33);
    const a = await signIn(s, u.alice, { sync: true, present: true });
    const d = await signIn(s, u.dave, { sync: true, present: true });
    await barrier(a.conn);
    assert.deepEqual(
      a.conn.drain().map((r) => r.line),
      [`NLN NLN ${u.dave} Dave%20D`],
    );

    assert.equal(await ask(a.conn, 'REM', 30, 'FL', u.dave), `REM 30 FL 16 ${u.dave}`);
    assert.equal((await d.conn.next('REM')).line, `REM 0 RL 34 ${u.alice}`);
    assert.equal(await ask(a.conn, 'REM', 31, 'AL', u.dave), `REM 31 AL 17 ${u.dave}`);
    await assertNothingMore(d.conn);
    assert.equal(await ask(a.conn, 'REM', 32, 'BL', u.dave), '216 32');
    assert.equal(await ask(a.conn, 'REM', 33, 'FL', u.dave), '216 33');
    await assertNothingMore(a.conn);
    a.conn.send('REM', 34, 'RL', u.dave);
    await assertClosed(a.conn);
    assert.equal((await d.conn.next('FLN')).line, `FLN ${u.alice}`);
    assert.equal(await versionOf(s, u.alice), 17);
    assert.equal(await versionOf(s, u.dave), 34);
    assert.deepEqual(await storedRecord(s, u.alice, u.dave), { name: 'D', FL: false, AL: false, BL: false, RL: true });
  });
});

describe('ADD: the checks of the 9.8 table, in order', () => {
  const cases: [string, (string | number)[]][] = [
    ['too few parameters', ['FL', 'HANDLE']],
    ['no parameters', []],
    ['two parameters too many on FL', ['FL', 'HANDLE', 'Name', 0, 1]],
    ['one parameter too many on AL', ['AL', 'HANDLE', 'Name', 'x']],
  ];
  for (const [what, args] of cases) {
    test(`row 1: ${what} closes the connection`, async () => {
      const u = await freshUsers(s, { owner: 'Owner', other: 'Other' });
      const owner = await signIn(s, u.owner);
      owner.conn.send('ADD', 20, ...args.map((a) => (a === 'HANDLE' ? u.other : a)));
      await assertClosed(owner.conn);
      assert.equal(await versionOf(s, u.owner), 1);
    });
  }

  for (const list of ['RL', 'XL', 'fl', 'FLL']) {
    test(`row 2: ADD ${list} closes the connection (sessions.md 16b)`, async () => {
      const u = await freshUsers(s, { owner: 'Owner', other: 'Other' });
      const owner = await signIn(s, u.owner);
      owner.conn.send('ADD', 20, list, u.other, 'Other');
      await assertClosed(owner.conn);
      assert.equal(await storedRecord(s, u.other, u.owner), undefined);
    });
  }

  test('row 2 comes before rows 4 and 5: ADD RL of a malformed or unknown handle closes', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const first = await signIn(s, u.owner);
    first.conn.send('ADD', 20, 'RL', 'a@b', 'x');
    await assertClosed(first.conn);
    const second = await signIn(s, u.owner);
    second.conn.send('ADD', 21, 'RL', 'ghost@example.com', 'x');
    await assertClosed(second.conn);
  });

  test('row 3: a name of 387 encoded bytes is accepted, 388 closes', async () => {
    const u = await freshUsers(s, { owner: 'Owner', a: 'A', b: 'B', c: 'C' });
    const owner = await signIn(s, u.owner);
    const plain387 = 'n'.repeat(387);
    assert.equal(await ask(owner.conn, 'ADD', 20, 'FL', u.a, plain387), `ADD 20 FL 2 ${u.a} ${plain387}`);
    const escaped387 = '%41'.repeat(129);
    assert.equal(await ask(owner.conn, 'ADD', 21, 'FL', u.b, escaped387), `ADD 21 FL 3 ${u.b} ${escaped387}`);
    owner.conn.send('ADD', 22, 'FL', u.c, `${escaped387}n`);
    await assertClosed(owner.conn);
    assert.equal(await storedRecord(s, u.owner, u.c), undefined);
    assert.equal(await versionOf(s, u.owner), 3);
  });

  test('row 3 comes before row 4: a long name with a malformed or own handle closes', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const first = await signIn(s, u.owner);
    first.conn.send('ADD', 20, 'FL', 'a@b', 'n'.repeat(388));
    await assertClosed(first.conn);
    const second = await signIn(s, u.owner);
    second.conn.send('ADD', 21, 'AL', u.owner, 'n'.repeat(388));
    await assertClosed(second.conn);
  });

  const malformed = [
    'a@b',
    '@example.com',
    'no-at-sign',
    'a@@example.com',
    'a@example..com',
    'a@example.com.',
    'a!b@example.com',
    'a@exa_mple.com',
  ];
  for (const handle of malformed) {
    test(`row 4: malformed handle ${handle} → 201 on FL, AL and BL (sessions.md 16b)`, async () => {
      const u = await freshUsers(s, { owner: 'Owner' });
      const owner = await signIn(s, u.owner);
      assert.equal(await ask(owner.conn, 'ADD', 41, 'FL', handle, 'x'), '201 41');
      assert.equal(await ask(owner.conn, 'ADD', 42, 'AL', handle, 'x'), '201 42');
      assert.equal(await ask(owner.conn, 'ADD', 43, 'BL', handle, 'x'), '201 43');
      assert.equal(await versionOf(s, u.owner), 1);
    });
  }

  test('row 4: a handle longer than 129 bytes → 201, one of exactly 129 is only unknown (205)', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    const domain = '@example.com';
    assert.equal(await ask(owner.conn, 'ADD', 41, 'FL', `${'a'.repeat(130 - domain.length)}${domain}`, 'x'), '201 41');
    assert.equal(await ask(owner.conn, 'ADD', 42, 'FL', `${'a'.repeat(129 - domain.length)}${domain}`, 'x'), '205 42');
  });

  test('row 4: the own handle → 201, in any letter case (sessions.md 16b)', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'ADD', 43, 'FL', u.owner, 'Me'), '201 43');
    assert.equal(await ask(owner.conn, 'ADD', 44, 'AL', u.owner.toUpperCase(), 'Me'), '201 44');
    assert.equal(await ask(owner.conn, 'ADD', 45, 'BL', u.owner, 'Me'), '201 45');
    assert.equal(await versionOf(s, u.owner), 1);
    assert.equal(await storedRecord(s, u.owner, u.owner), undefined);
  });

  test('row 5: a well-formed handle without an account → 205 (sessions.md 16b)', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'ADD', 42, 'FL', 'ghost@example.com', 'Ghost'), '205 42');
    assert.equal(await ask(owner.conn, 'ADD', 43, 'AL', 'ghost@example.com', 'Ghost'), '205 43');
    assert.equal(await ask(owner.conn, 'ADD', 44, 'BL', 'ghost@example.com', 'Ghost'), '205 44');
    assert.equal(await versionOf(s, u.owner), 1);
  });

  test('row 7: already on that list → 215, the stored name stays', async () => {
    const u = await freshUsers(s, { owner: 'Owner', a: 'A', b: 'B' });
    const owner = await signIn(s, u.owner);
    await owner.add('FL', u.a, 'First');
    await owner.add('AL', u.a, 'First');
    await owner.add('BL', u.b, 'Bee');
    assert.equal(await ask(owner.conn, 'ADD', 50, 'FL', u.a, 'Second'), '215 50');
    assert.equal(await ask(owner.conn, 'ADD', 51, 'AL', u.a, 'Second'), '215 51');
    assert.equal(await ask(owner.conn, 'ADD', 52, 'BL', u.b, 'Second'), '215 52');
    assert.equal(await ask(owner.conn, 'ADD', 53, 'FL', u.a.toUpperCase(), 'Second'), '215 53');
    assert.equal(await versionOf(s, u.owner), 4);
    assert.deepEqual(await storedRecord(s, u.owner, u.a), { name: 'First', FL: true, AL: true, BL: false, RL: false });
  });

  test('row 8: AL while on BL and BL while on AL → 219', async () => {
    const u = await freshUsers(s, { owner: 'Owner', a: 'A', b: 'B' });
    const owner = await signIn(s, u.owner);
    await owner.add('AL', u.a, 'A');
    await owner.add('BL', u.b, 'B');
    assert.equal(await ask(owner.conn, 'ADD', 60, 'BL', u.a, 'A'), '219 60');
    assert.equal(await ask(owner.conn, 'ADD', 61, 'AL', u.b, 'B'), '219 61');
    assert.equal(await versionOf(s, u.owner), 3);
    assert.deepEqual(await storedRecord(s, u.owner, u.a), { name: 'A', FL: false, AL: true, BL: false, RL: false });
    assert.deepEqual(await storedRecord(s, u.owner, u.b), { name: 'B', FL: false, AL: false, BL: true, RL: false });
  });

  test('an undecodable name is checked with the handle (row 4), before 205', async () => {
    // 3.4 makes an undecodable name a 201; msnd checks it with the handle (row 4), before 205.
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'ADD', 20, 'FL', 'ghost@example.com', '%FF'), '201 20');
  });
});

describe('ADD: full lists → 210 (limits forwardList 2, otherLists 2)', () => {
  test('FL full; and 205, 215 come before 210', async () => {
    const u = await freshUsers(small, { owner: 'Owner', a: 'A', b: 'B', c: 'C' });
    const owner = await signIn(small, u.owner);
    assert.equal(await ask(owner.conn, 'ADD', 20, 'FL', u.a, 'A'), `ADD 20 FL 2 ${u.a} A`);
    assert.equal(await ask(owner.conn, 'ADD', 21, 'FL', u.b, 'B'), `ADD 21 FL 3 ${u.b} B`);
    assert.equal(await ask(owner.conn, 'ADD', 22, 'FL', u.c, 'C'), '210 22');
    assert.equal(await ask(owner.conn, 'ADD', 23, 'FL', 'ghost@example.com', 'G'), '205 23');
    assert.equal(await ask(owner.conn, 'ADD', 24, 'FL', u.a, 'A'), '215 24');
    assert.equal(await versionOf(small, u.owner), 3);
    assert.equal(await versionOf(small, u.c), 1);
    assert.equal(await storedRecord(small, u.c, u.owner), undefined);
    // The other lists have their own limit.
    assert.equal(await ask(owner.conn, 'ADD', 25, 'AL', u.c, 'C'), `ADD 25 AL 4 ${u.c} C`);
  });

  test('AL full and BL full; 219 comes before 210', async () => {
    const u = await freshUsers(small, { owner: 'Owner', a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' });
    const owner = await signIn(small, u.owner);
    await owner.add('AL', u.a, 'A');
    await owner.add('AL', u.b, 'B');
    assert.equal(await ask(owner.conn, 'ADD', 30, 'AL', u.c, 'C'), '210 30');
    await owner.add('BL', u.c, 'C');
    await owner.add('BL', u.d, 'D');
    assert.equal(await ask(owner.conn, 'ADD', 31, 'BL', u.e, 'E'), '210 31');
    assert.equal(await ask(owner.conn, 'ADD', 32, 'BL', u.a, 'A'), '219 32');
    assert.equal(await ask(owner.conn, 'ADD', 33, 'AL', u.c, 'C'), '219 33');
    assert.equal(await versionOf(small, u.owner), 5);
  });

  test("the contact's RL full → 210, and nothing changes on either side", async () => {
    const u = await freshUsers(small, { star: 'Star', fan1: 'Fan', fan2: 'Fan', fan3: 'Fan' });
    for (const fan of [u.fan1, u.fan2]) {
      const c = await signIn(small, fan);
      await c.add('FL', u.star, 'Star');
    }
    const star = await signIn(small, u.star);
    const fan3 = await signIn(small, u.fan3);
    assert.equal(await ask(fan3.conn, 'ADD', 40, 'FL', u.star, 'Star'), '210 40');
    assert.equal(await versionOf(small, u.fan3), 1);
    assert.equal(await versionOf(small, u.star), 3);
    assert.equal(await storedRecord(small, u.star, u.fan3), undefined);
    await assertNothingMore(star.conn);
    // AL and BL entries do not touch the contact's RL.
    assert.equal(await ask(fan3.conn, 'ADD', 41, 'AL', u.star, 'Star'), `ADD 41 AL 2 ${u.star} Star`);
  });
});

describe('ADD: names are kept as the client encoded them (MSNP5.md 3.4)', () => {
  const keptAsSent = ['dave%40example.com', 'Caf%C3%A9', 'caf%c3%a9', '100%', '%zz', 'a%2', '(Bob)', 'Bob%20B', '%41%42'];
  test(`echoed and listed exactly as sent: ${keptAsSent.join(' ')}`, async () => {
    const users = Object.fromEntries(keptAsSent.map((_, i) => [`c${i}`, 'C']));
    const u = await freshUsers<string>(s, { owner: 'Owner', ...users });
    const owner = await signIn(s, u.owner!);
    const expected: string[] = [];
    for (const [i, name] of keptAsSent.entries()) {
      const handle = u[`c${i}`]!;
      assert.equal(await ask(owner.conn, 'ADD', 100 + i, 'AL', handle, name), `ADD ${100 + i} AL ${i + 2} ${handle} ${name}`);
      expected.push(`LST 99 AL ${keptAsSent.length + 1} ${i + 1} ${keptAsSent.length} ${handle} ${name}`);
    }
    assert.deepEqual(await listLines(owner.conn, 99, 'AL'), expected);
  });

  const rawCases: [string, Buffer, string][] = [
    ['UTF-8 é', Buffer.from('Café', 'utf8'), 'Caf%C3%A9'],
    ['UTF-8 next to an escape', Buffer.concat([Buffer.from('Caf%C3%A9'), Buffer.from('é', 'utf8')]), 'Caf%C3%A9%C3%A9'],
    ['UTF-8 next to a literal %', Buffer.concat([Buffer.from('100%'), Buffer.from('€', 'utf8')]), '100%25%E2%82%AC'],
  ];
  for (const [what, bytes, canonical] of rawCases) {
    test(`raw bytes ≥ 0x80 (${what}) are re-encoded canonically: ${canonical}`, async () => {
      const u = await freshUsers(s, { owner: 'Owner', c: 'C' });
      const owner = await signIn(s, u.owner);
      owner.conn.sendRaw(rawLine(`ADD 20 FL ${u.c} {}`, bytes));
      assert.equal((await owner.conn.next((r) => r.args[0] === '20')).line, `ADD 20 FL 2 ${u.c} ${canonical}`);
      assert.deepEqual(await listLines(owner.conn, 21, 'FL'), [`LST 21 FL 2 1 1 ${u.c} ${canonical}`]);
      assert.equal((await storedRecord(s, u.owner, u.c))?.name, canonical);
    });
  }

  const refused: [string, string | Buffer][] = [
    ['%FF (invalid UTF-8)', '%FF'],
    ['%C3%28 (invalid UTF-8)', '%C3%28'],
    ['%C3 (truncated UTF-8)', 'Caf%C3'],
    ['%ED%A0%80 (a surrogate)', '%ED%A0%80'],
    ['raw byte 0xFF', Buffer.from([0x43, 0xff])],
    ['%07 (a control char)', 'a%07b'],
    ['%0D%0A', 'a%0D%0Ab'],
    ['%00', '%00'],
    ['%7F', 'x%7F'],
    ['%09 (tab)', 'a%09b'],
    ['%C2%85 (a C1 control char)', 'a%C2%85b'],
  ];
  for (const [what, name] of refused) {
    test(`a name with ${what} → 201, nothing stored`, async () => {
      const u = await freshUsers(s, { owner: 'Owner', c: 'C' });
      const owner = await signIn(s, u.owner);
      if (typeof name === 'string') owner.conn.send('ADD', 20, 'FL', u.c, name);
      else owner.conn.sendRaw(rawLine(`ADD 20 FL ${u.c} {}`, name));
      assert.equal((await owner.conn.next((r) => r.args[0] === '20')).line, '201 20');
      await assertNothingMore(owner.conn);
      assert.equal(await storedRecord(s, u.owner, u.c), undefined);
      assert.equal(await versionOf(s, u.owner), 1);
    });
  }

  test('a handle in upper case is stored and sent in lower case (MSNP5.md 3.5)', async () => {
    const u = await freshUsers(s, { owner: 'Owner', c: 'C' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'ADD', 20, 'AL', u.c.toUpperCase(), 'C'), `ADD 20 AL 2 ${u.c} C`);
    assert.deepEqual(await listLines(owner.conn, 21, 'AL'), [`LST 21 AL 2 1 1 ${u.c} C`]);
  });

  test('the latest ADD or REA name wins: one stored name per contact (MSNP5.md 8.2)', async () => {
    const u = await freshUsers(s, { owner: 'Owner', c: 'C' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'ADD', 20, 'FL', u.c, 'One'), `ADD 20 FL 2 ${u.c} One`);
    assert.equal(await ask(owner.conn, 'ADD', 21, 'AL', u.c, 'Two'), `ADD 21 AL 3 ${u.c} Two`);
    assert.deepEqual(await listLines(owner.conn, 22, 'FL'), [`LST 22 FL 3 1 1 ${u.c} Two`]);
    assert.equal(await ask(owner.conn, 'REA', 23, u.c, 'Three'), `REA 23 4 ${u.c} Three`);
    assert.deepEqual(await listLines(owner.conn, 24, 'FL'), [`LST 24 FL 4 1 1 ${u.c} Three`]);
    assert.deepEqual(await listLines(owner.conn, 25, 'AL'), [`LST 25 AL 4 1 1 ${u.c} Three`]);
    assert.equal(await ask(owner.conn, 'REM', 26, 'AL', u.c), `REM 26 AL 5 ${u.c}`);
    assert.equal(await ask(owner.conn, 'ADD', 27, 'BL', u.c, 'Four'), `ADD 27 BL 6 ${u.c} Four`);
    assert.deepEqual(await listLines(owner.conn, 28, 'FL'), [`LST 28 FL 6 1 1 ${u.c} Four`]);
  });
});

describe('ADD FL: the RL mirror and versions of both sides (MSNP5.md 8.2, 8.4, 9.8)', () => {
  test("the contact gets ADD 0 RL with the adder's friendly name; both versions +1", async () => {
    const u = await freshUsers(s, { adder: 'Adder Name', contact: 'Contact' });
    const contact = await signIn(s, u.contact);
    const adder = await signIn(s, u.adder);
    assert.equal(await ask(adder.conn, 'ADD', 20, 'FL', u.contact, 'My%20Pal'), `ADD 20 FL 2 ${u.contact} My%20Pal`);
    assert.equal((await contact.conn.next('ADD')).line, `ADD 0 RL 2 ${u.adder} Adder%20Name`);
    await assertNothingMore(contact.conn);
    assert.deepEqual(await listLines(contact.conn, 30, 'RL'), [`LST 30 RL 2 1 1 ${u.adder} Adder%20Name`]);
    assert.deepEqual(await listLines(contact.conn, 31, 'FL'), ['LST 31 FL 2 0 0']);
    assert.equal(await versionOf(s, u.adder), 2);
    assert.equal(await versionOf(s, u.contact), 2);
  });

  test('an offline contact gets nothing now, but its version and RL changed (seen in its SYN)', async () => {
    const u = await freshUsers(s, { adder: 'Adder', contact: 'Contact' });
    const adder = await signIn(s, u.adder);
    assert.equal(await ask(adder.conn, 'ADD', 20, 'FL', u.contact, 'C'), `ADD 20 FL 2 ${u.contact} C`);
    const contact = await signIn(s, u.contact);
    const dump = await synDump(contact.conn, 8, 1);
    assert.deepEqual(dump.slice(-4), ['LST 8 FL 2 0 0', 'LST 8 AL 2 0 0', 'LST 8 BL 2 0 0', `LST 8 RL 2 1 1 ${u.adder} Adder`]);
  });

  for (const list of ['AL', 'BL'] as const) {
    test(`ADD 0 RL is sent even when the adder is already on the contact's ${list} (D-8)`, async () => {
      const u = await freshUsers(s, { adder: 'Adder', contact: 'Contact' });
      const contact = await signIn(s, u.contact);
      assert.equal(await ask(contact.conn, 'ADD', 10, list, u.adder, 'Known'), `ADD 10 ${list} 2 ${u.adder} Known`);
      const adder = await signIn(s, u.adder);
      assert.equal(await ask(adder.conn, 'ADD', 20, 'FL', u.contact, 'C'), `ADD 20 FL 2 ${u.contact} C`);
      assert.equal((await contact.conn.next('ADD')).line, `ADD 0 RL 3 ${u.adder} Adder`);
      // The contact's existing record keeps the name the contact gave it.
      assert.deepEqual(await listLines(contact.conn, 11, 'RL'), [`LST 11 RL 3 1 1 ${u.adder} Known`]);
      assert.deepEqual(await listLines(contact.conn, 12, list), [`LST 12 ${list} 3 1 1 ${u.adder} Known`]);
    });
  }

  for (const list of ['AL', 'BL'] as const) {
    test(`ADD ${list}: only the owner's version changes, the contact is told nothing`, async () => {
      const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
      const contact = await signIn(s, u.contact, { sync: true });
      const owner = await signIn(s, u.owner, { sync: true });
      assert.equal(await ask(owner.conn, 'ADD', 20, list, u.contact, 'C'), `ADD 20 ${list} 2 ${u.contact} C`);
      await assertNothingMore(owner.conn);
      await assertNothingMore(contact.conn);
      assert.equal(await versionOf(s, u.contact), 1);
      assert.deepEqual(await storedRecord(s, u.contact, u.owner), undefined);
    });
  }

  test("the RL entry keeps the adder's name of that moment; renaming later does not change it", async () => {
    const u = await freshUsers(s, { adder: 'Old Name', contact: 'Contact' });
    const adder = await signIn(s, u.adder);
    await adder.add('FL', u.contact, 'C');
    assert.equal(await ask(adder.conn, 'REA', 30, u.adder, 'New%20Name'), `REA 30 3 ${u.adder} New%20Name`);
    const contact = await signIn(s, u.contact);
    assert.deepEqual(await listLines(contact.conn, 8, 'RL'), [`LST 8 RL 2 1 1 ${u.adder} Old%20Name`]);
  });

  test('a list edit is committed before its reply', async () => {
    const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'ADD', 20, 'FL', u.contact, 'C'), `ADD 20 FL 2 ${u.contact} C`);
    assert.deepEqual(await storedRecord(s, u.owner, u.contact), { name: 'C', FL: true, AL: false, BL: false, RL: false });
    assert.deepEqual(await storedRecord(s, u.contact, u.owner), { name: 'Owner', FL: false, AL: false, BL: false, RL: true });
    assert.equal(await versionOf(s, u.owner), 2);
    assert.equal(await versionOf(s, u.contact), 2);
    assert.equal(await ask(owner.conn, 'ADD', 21, 'BL', u.contact, 'X'), `ADD 21 BL 3 ${u.contact} X`);
    assert.deepEqual(await storedRecord(s, u.owner, u.contact), { name: 'X', FL: true, AL: false, BL: true, RL: false });
    assert.equal(await ask(owner.conn, 'REM', 22, 'FL', u.contact), `REM 22 FL 4 ${u.contact}`);
    assert.deepEqual(await storedRecord(s, u.owner, u.contact), { name: 'X', FL: false, AL: false, BL: true, RL: false });
    assert.equal(await storedRecord(s, u.contact, u.owner), undefined);
    assert.equal(await versionOf(s, u.contact), 3);
    assert.equal(await ask(owner.conn, 'REA', 23, u.contact, 'Y'), `REA 23 5 ${u.contact} Y`);
    assert.equal((await storedRecord(s, u.owner, u.contact))?.name, 'Y');
    assert.equal(await ask(owner.conn, 'REA', 24, u.owner, 'Me'), `REA 24 6 ${u.owner} Me`);
    assert.equal((await s.store.findAccount(u.owner))?.friendlyName, 'Me');
    assert.equal(await versionOf(s, u.owner), 6);
  });
});

describe('ADD FL: BPR lines to the adder (MSNP5.md 9.8, 9.15, D-10)', () => {
  const phones = { PHH: '1%20(555)%200142', PHM: '(0)%20199', MOB: 'Y' as const, MBE: 'Y' as const };

  test('a synced session gets four BPR lines with its new version and the real values', async () => {
    const u = await freshUsers(s, { adder: 'Adder', contact: 'Contact' });
    await setPhones(s, u.contact, phones);
    const adder = await signIn(s, u.adder, { sync: true });
    assert.deepEqual(await askLines(adder.conn, 'ADD', 20, ['FL', u.contact, 'C'], (r) => r.line.endsWith('MOB Y')), [
      `ADD 20 FL 2 ${u.contact} C`,
      `BPR 2 ${u.contact} PHH 1%20(555)%200142`,
      `BPR 2 ${u.contact} PHW`,
      `BPR 2 ${u.contact} PHM (0)%20199`,
      `BPR 2 ${u.contact} MOB Y`,
    ]);
  });

  test('a contact that blocks the adder shows empty values and MOB N', async () => {
    const u = await freshUsers(s, { adder: 'Adder', contact: 'Contact' });
    await setPhones(s, u.contact, phones);
    const contact = await signIn(s, u.contact);
    await contact.add('BL', u.adder, 'A');
    const adder = await signIn(s, u.adder, { sync: true });
    assert.deepEqual(await askLines(adder.conn, 'ADD', 20, ['FL', u.contact, 'C'], (r) => r.line.endsWith('MOB N')), [
      `ADD 20 FL 2 ${u.contact} C`,
      `BPR 2 ${u.contact} PHH`,
      `BPR 2 ${u.contact} PHW`,
      `BPR 2 ${u.contact} PHM`,
      `BPR 2 ${u.contact} MOB N`,
    ]);
  });

  test('a session that never sent SYN gets no BPR lines', async () => {
    const u = await freshUsers(s, { adder: 'Adder', contact: 'Contact' });
    await setPhones(s, u.contact, phones);
    const adder = await signIn(s, u.adder);
    assert.equal(await ask(adder.conn, 'ADD', 20, 'FL', u.contact, 'C'), `ADD 20 FL 2 ${u.contact} C`);
    await assertNothingMore(adder.conn);
  });

  test('an MSNP4 session gets no BPR lines, even after SYN', async () => {
    const u = await freshUsers(s, { adder: 'Adder', contact: 'Contact' });
    await setPhones(s, u.contact, phones);
    const adder = await signIn(s, u.adder, { sync: true, dialects: ['MSNP4'] });
    assert.equal(await ask(adder.conn, 'ADD', 20, 'FL', u.contact, 'C'), `ADD 20 FL 2 ${u.contact} C`);
    await assertNothingMore(adder.conn);
  });

  test('ADD AL and ADD BL are not followed by BPR lines', async () => {
    const u = await freshUsers(s, { adder: 'Adder', a: 'A', b: 'B' });
    await setPhones(s, u.a, phones);
    const adder = await signIn(s, u.adder, { sync: true });
    assert.equal(await ask(adder.conn, 'ADD', 20, 'AL', u.a, 'A'), `ADD 20 AL 2 ${u.a} A`);
    assert.equal(await ask(adder.conn, 'ADD', 21, 'BL', u.b, 'B'), `ADD 21 BL 3 ${u.b} B`);
    await assertNothingMore(adder.conn);
  });
});

describe('REM (MSNP5.md 9.9)', () => {
  test('REM FL: reply, REM 0 RL to the removed contact, both versions +1, other lists kept', async () => {
    const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
    const owner = await signIn(s, u.owner);
    await owner.add('FL', u.contact, 'C');
    await owner.add('AL', u.contact, 'C');
    const contact = await signIn(s, u.contact, { sync: true });
    assert.equal(await ask(owner.conn, 'REM', 30, 'FL', u.contact), `REM 30 FL 4 ${u.contact}`);
    assert.equal((await contact.conn.next('REM')).line, `REM 0 RL 3 ${u.owner}`);
    await assertNothingMore(contact.conn);
    assert.deepEqual(await listLines(owner.conn, 31, 'FL'), ['LST 31 FL 4 0 0']);
    assert.deepEqual(await listLines(owner.conn, 32, 'AL'), [`LST 32 AL 4 1 1 ${u.contact} C`]);
    assert.deepEqual(await listLines(contact.conn, 33, 'RL'), ['LST 33 RL 3 0 0']);
    assert.equal(await storedRecord(s, u.contact, u.owner), undefined);
  });

  for (const list of ['AL', 'BL'] as const) {
    test(`REM ${list}: reply with the owner's new version; the contact is told nothing`, async () => {
      const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
      const owner = await signIn(s, u.owner);
      await owner.add(list, u.contact, 'C');
      const contact = await signIn(s, u.contact, { sync: true });
      assert.equal(await ask(owner.conn, 'REM', 30, list, u.contact), `REM 30 ${list} 3 ${u.contact}`);
      await assertNothingMore(contact.conn);
      assert.equal(await versionOf(s, u.contact), 1);
      assert.deepEqual(await listLines(owner.conn, 31, list), [`LST 31 ${list} 3 0 0`]);
      // A record on no list is deleted (MSNP5.md 8.2).
      assert.equal(await storedRecord(s, u.owner, u.contact), undefined);
    });
  }

  test('the handle may be written in upper case; the reply has it in lower case', async () => {
    const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
    const owner = await signIn(s, u.owner);
    await owner.add('BL', u.contact, 'C');
    assert.equal(await ask(owner.conn, 'REM', 30, 'BL', u.contact.toUpperCase()), `REM 30 BL 3 ${u.contact}`);
  });

  test('216: not on that list, only on the RL, no such account, a malformed handle', async () => {
    const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact', watcher: 'Watcher' });
    const watcher = await signIn(s, u.watcher);
    await watcher.add('FL', u.owner, 'O');
    const owner = await signIn(s, u.owner);
    await owner.add('AL', u.contact, 'C');
    assert.equal(await ask(owner.conn, 'REM', 40, 'FL', u.contact), '216 40');
    assert.equal(await ask(owner.conn, 'REM', 41, 'BL', u.contact), '216 41');
    assert.equal(await ask(owner.conn, 'REM', 42, 'FL', u.watcher), '216 42');
    assert.equal(await ask(owner.conn, 'REM', 43, 'AL', 'ghost@example.com'), '216 43');
    assert.equal(await ask(owner.conn, 'REM', 44, 'FL', 'a@b'), '216 44');
    assert.equal(await ask(owner.conn, 'REM', 45, 'BL', u.owner), '216 45');
    assert.equal(await versionOf(s, u.owner), 3);
    await assertNothingMore(watcher.conn);
  });

  const closing: [string, (string | number)[]][] = [
    ['REM RL (sessions.md 5)', ['RL', 'HANDLE']],
    ['REM of an unknown list', ['XL', 'HANDLE']],
    ['REM fl (lower case)', ['fl', 'HANDLE']],
    ['REM without a handle', ['FL']],
    ['REM AL with a group id', ['AL', 'HANDLE', 0]],
    ['REM FL with two group ids', ['FL', 'HANDLE', 0, 1]],
  ];
  for (const [what, args] of closing) {
    test(`${what} closes the connection, the lists stay`, async () => {
      const u = await freshUsers(s, { owner: 'Owner', watcher: 'Watcher' });
      const watcher = await signIn(s, u.watcher);
      await watcher.add('FL', u.owner, 'O');
      const owner = await signIn(s, u.owner);
      await owner.add('FL', u.watcher, 'W');
      owner.conn.send('REM', 30, ...args.map((a) => (a === 'HANDLE' ? u.watcher : a)));
      await assertClosed(owner.conn);
      assert.deepEqual(await storedRecord(s, u.owner, u.watcher), { name: 'W', FL: true, AL: false, BL: false, RL: true });
      assert.equal(await versionOf(s, u.owner), 3);
    });
  }
});

describe('REA (MSNP5.md 9.10; sessions.md 8)', () => {
  test('sessions.md 8 replayed: own name with NLN to the watcher, a contact, 216, 209, UTF-8', async () => {
    const u = await freshUsers(s, { alice: 'Alice A', bob: 'Bob B' });
    const a0 = await signIn(s, u.alice);
    await a0.add('FL', u.bob, 'Bob%20B');
    await a0.add('AL', u.bob, 'Bob%20B');
    const b0 = await signIn(s, u.bob);
    await b0.add('FL', u.alice, 'Alice%20A');
    closeAll();
    await raiseVersion(s, u.alice, 26);
    const bob = await signIn(s, u.bob, { sync: true, present: true });
    const alice = await signIn(s, u.alice, { sync: true, present: true });
    assert.equal((await bob.conn.next('NLN')).line, `NLN NLN ${u.alice} Alice%20A`);

    assert.equal(await ask(alice.conn, 'REA', 60, u.alice, 'Alice%20in%20Wonderland'), `REA 60 27 ${u.alice} Alice%20in%20Wonderland`);
    assert.equal((await bob.conn.next('NLN')).line, `NLN NLN ${u.alice} Alice%20in%20Wonderland`);
    assert.equal(await ask(alice.conn, 'REA', 61, u.bob, 'Bobby'), `REA 61 28 ${u.bob} Bobby`);
    await assertNothingMore(bob.conn);
    assert.equal(await ask(alice.conn, 'REA', 62, 'ghost@example.com', 'Ghost'), '216 62');
    assert.equal(await ask(alice.conn, 'REA', 63, u.alice, 'MSN%20Administrator'), '209 63');
    assert.equal(await ask(alice.conn, 'REA', 64, u.alice, 'Caf%C3%A9%20Alice'), `REA 64 29 ${u.alice} Caf%C3%A9%20Alice`);
    assert.equal((await bob.conn.next('NLN')).line, `NLN NLN ${u.alice} Caf%C3%A9%20Alice`);
    await assertNothingMore(alice.conn);
  });

  test('own name: new version in the reply; later SYN and USR OK use the new name', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'REA', 20, u.owner, 'N%c3%a9w%20(name)'), `REA 20 2 ${u.owner} N%c3%a9w%20(name)`);
    assert.equal(await ask(owner.conn, 'SYN', 21, 2), 'SYN 21 2');
    closeAll();
    const { conn, ok } = await rawLogin(s, u.owner);
    assert.equal(ok, `USR 4 OK ${u.owner} N%c3%a9w%20(name)`);
    assert.equal(await ask(conn, 'SYN', 5, 2), 'SYN 5 2');
  });

  test('own name in upper case handle form is still the own name', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'REA', 20, u.owner.toUpperCase(), 'Me'), `REA 20 2 ${u.owner} Me`);
    assert.equal((await s.store.findAccount(u.owner))?.friendlyName, 'Me');
  });

  test("a contact's stored name: only the owner's lists change, on every list the contact is on", async () => {
    const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
    const contact = await signIn(s, u.contact);
    await contact.add('FL', u.owner, 'O');
    const owner = await signIn(s, u.owner);
    await owner.add('FL', u.contact, 'C');
    await owner.add('BL', u.contact, 'C');
    await barrier(contact.conn);
    assert.deepEqual(
      contact.conn.drain().map((r) => r.line),
      [`ADD 0 RL 3 ${u.owner} Owner`],
    );
    const contactVersion = await versionOf(s, u.contact);
    assert.equal(await ask(owner.conn, 'REA', 30, u.contact, 'Bobby'), `REA 30 5 ${u.contact} Bobby`);
    for (const [trid, list] of [
      [31, 'FL'],
      [32, 'BL'],
      [33, 'RL'],
    ] as const) {
      assert.deepEqual(await listLines(owner.conn, trid, list), [`LST ${trid} ${list} 5 1 1 ${u.contact} Bobby`]);
    }
    await assertNothingMore(contact.conn);
    assert.equal(await versionOf(s, u.contact), contactVersion);
    assert.deepEqual(await listLines(contact.conn, 34, 'FL'), [`LST 34 FL ${contactVersion} 1 1 ${u.owner} O`]);
    assert.equal((await s.store.findAccount(u.contact))?.friendlyName, 'Contact');
  });

  test('a contact only on the RL may be renamed too', async () => {
    const u = await freshUsers(s, { owner: 'Owner', watcher: 'Watcher' });
    const watcher = await signIn(s, u.watcher);
    await watcher.add('FL', u.owner, 'O');
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'REA', 30, u.watcher, 'Fan'), `REA 30 3 ${u.watcher} Fan`);
    assert.deepEqual(await listLines(owner.conn, 31, 'RL'), [`LST 31 RL 3 1 1 ${u.watcher} Fan`]);
  });

  test('216: an account on none of the lists, no such account, a malformed handle', async () => {
    const u = await freshUsers(s, { owner: 'Owner', stranger: 'Stranger' });
    const owner = await signIn(s, u.owner);
    assert.equal(await ask(owner.conn, 'REA', 40, u.stranger, 'X'), '216 40');
    assert.equal(await ask(owner.conn, 'REA', 41, 'ghost@example.com', 'X'), '216 41');
    assert.equal(await ask(owner.conn, 'REA', 42, 'a@b', 'X'), '216 42');
    assert.equal(await versionOf(s, u.owner), 1);
    assert.equal(await storedRecord(s, u.owner, u.stranger), undefined);
  });

  const reserved = ['msn', 'MSN%20Administrator', 'Microsoft', 'my%20hotmail%20box', 'ADMINISTRATOR', 'xMsNx', '%4D%53%4E'];
  test(`209 for the reserved names ${reserved.join(' ')}; name and version unchanged`, async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    for (const [i, name] of reserved.entries()) {
      assert.equal(await ask(owner.conn, 'REA', 50 + i, u.owner, name), `209 ${50 + i}`);
    }
    const stored = await s.store.findAccount(u.owner);
    assert.equal(stored?.friendlyName, 'Owner');
    assert.equal(stored?.listVersion, 1);
  });

  test('a reserved word in a name given to a contact is accepted (only the owner sees it)', async () => {
    // 9.10 lists reserved words among refused names without saying whose; msnd refuses them only
    // for the user's own friendly name, as ADD does not check them either.
    const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
    const owner = await signIn(s, u.owner);
    await owner.add('AL', u.contact, 'C');
    assert.equal(await ask(owner.conn, 'REA', 50, u.contact, 'MSN%20Friend'), `REA 50 3 ${u.contact} MSN%20Friend`);
  });

  const invalid = ['%FF', 'a%07b', '%C3%28', 'x%0Ay'];
  for (const name of invalid) {
    test(`209 for ${name} (invalid UTF-8 or a control char), for the own name and a contact's`, async () => {
      const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
      const owner = await signIn(s, u.owner);
      await owner.add('AL', u.contact, 'C');
      assert.equal(await ask(owner.conn, 'REA', 50, u.owner, name), '209 50');
      assert.equal(await ask(owner.conn, 'REA', 51, u.contact, name), '209 51');
      assert.equal(await versionOf(s, u.owner), 2);
      assert.equal((await storedRecord(s, u.owner, u.contact))?.name, 'C');
    });
  }

  test('raw UTF-8 bytes in a new name are re-encoded canonically', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    owner.conn.sendRaw(rawLine(`REA 50 ${u.owner} {}`, Buffer.from('Zoë', 'utf8')));
    assert.equal((await owner.conn.next((r) => r.args[0] === '50')).line, `REA 50 2 ${u.owner} Zo%C3%AB`);
    assert.equal((await s.store.findAccount(u.owner))?.friendlyName, 'Zo%C3%AB');
  });

  for (const whose of ['own', "a contact's"]) {
    test(`${whose} name: 387 encoded bytes accepted, 388 closes`, async () => {
      const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
      const owner = await signIn(s, u.owner);
      await owner.add('AL', u.contact, 'C');
      const target = whose === 'own' ? u.owner : u.contact;
      const name = '%41'.repeat(129);
      assert.equal(await ask(owner.conn, 'REA', 50, target, name), `REA 50 3 ${target} ${name}`);
      owner.conn.send('REA', 51, target, `${name}B`);
      await assertClosed(owner.conn);
      assert.equal(await versionOf(s, u.owner), 3);
    });
  }

  test('REA with a missing or an extra parameter closes the connection', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const first = await signIn(s, u.owner);
    first.conn.send('REA', 50, u.owner);
    await assertClosed(first.conn);
    const second = await signIn(s, u.owner);
    second.conn.send('REA', 51, u.owner, 'A', 'B');
    await assertClosed(second.conn);
    assert.equal(await versionOf(s, u.owner), 1);
  });

  test('the 6th self-rename within the window → 800; contacts may be renamed freely', async () => {
    const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
    const owner = await signIn(s, u.owner);
    for (let i = 1; i <= 5; i += 1) {
      assert.equal(await ask(owner.conn, 'REA', 60 + i, u.owner, `Name${i}`), `REA ${60 + i} ${1 + i} ${u.owner} Name${i}`);
    }
    assert.equal(await ask(owner.conn, 'REA', 66, u.owner, 'Name6'), '800 66');
    assert.equal((await s.store.findAccount(u.owner))?.friendlyName, 'Name5');
    assert.equal(await versionOf(s, u.owner), 6);
    await owner.add('AL', u.contact, 'C');
    for (let i = 1; i <= 7; i += 1) {
      assert.equal(await ask(owner.conn, 'REA', 70 + i, u.contact, `C${i}`), `REA ${70 + i} ${7 + i} ${u.contact} C${i}`);
    }
  });

  test('the self-rename limit is per account: signing in again does not reset it', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const first = await signIn(s, u.owner);
    for (let i = 1; i <= 5; i += 1) await ask(first.conn, 'REA', 60 + i, u.owner, `Name${i}`);
    first.close();
    const second = await signIn(s, u.owner);
    assert.equal(await ask(second.conn, 'REA', 66, u.owner, 'Name6'), '800 66');
  });

  test('refused self-renames (209) do not count toward the limit', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner);
    for (let i = 1; i <= 5; i += 1) assert.equal(await ask(owner.conn, 'REA', 50 + i, u.owner, 'msn'), `209 ${50 + i}`);
    for (let i = 1; i <= 5; i += 1) {
      assert.equal(await ask(owner.conn, 'REA', 60 + i, u.owner, `Name${i}`), `REA ${60 + i} ${1 + i} ${u.owner} Name${i}`);
    }
    assert.equal(await ask(owner.conn, 'REA', 66, u.owner, 'Name6'), '800 66');
  });

  // 2 s: the five renames and the refused sixth must fall in one window even on a busy machine.
  test('after the window has passed, self-renames are accepted again (window 2 s)', async () => {
    const u = await freshUsers(small, { owner: 'Owner' });
    const owner = await signIn(small, u.owner);
    for (let i = 1; i <= 5; i += 1) await ask(owner.conn, 'REA', 60 + i, u.owner, `Name${i}`);
    assert.equal(await ask(owner.conn, 'REA', 66, u.owner, 'Name6'), '800 66');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.equal(await ask(owner.conn, 'REA', 67, u.owner, 'Name7'), `REA 67 7 ${u.owner} Name7`);
  });
});

describe('ADD FL names: the official client uses the handle as nickname (sessions.md 4)', () => {
  test('handleAsName round-trips through ADD and LST', async () => {
    const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
    const owner = await signIn(s, u.owner);
    const nick = handleAsName(u.contact);
    assert.equal(await ask(owner.conn, 'ADD', 20, 'AL', u.contact, nick), `ADD 20 AL 2 ${u.contact} ${nick}`);
    assert.deepEqual(await listLines(owner.conn, 21, 'AL'), [`LST 21 AL 2 1 1 ${u.contact} ${nick}`]);
  });
});
