/**
 * SYN and LST over TCP (MSNP5.md 9.4, 9.5, 8.4, 8.3/D-10, 4.3; sessions.md 1 and 3): the full
 * dump line by line, the up-to-date answer, phones in MSNP5+ only, BPR values as the contact lets
 * the user see them, single lists, and the inputs that close the connection.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ask } from '../helpers/ask.ts';
import { useMsnd } from '../helpers/msnd.ts';
import {
  assertClosed,
  assertNothingMore,
  closeAll,
  freshUsers,
  listLines,
  setPhones,
  signIn,
  synDump,
  versionOf,
} from '../helpers/stored-lists.ts';

const s = useMsnd();

/** The dump of an account with empty lists and no phones at version v (MSNP5.md 9.4). */
function emptyDump(trid: number, v: number): string[] {
  return [
    `SYN ${trid} ${v}`,
    `GTC ${trid} ${v} A`,
    `BLP ${trid} ${v} AL`,
    `PRP ${trid} ${v} PHH`,
    `PRP ${trid} ${v} PHW`,
    `PRP ${trid} ${v} PHM`,
    `PRP ${trid} ${v} MOB N`,
    `PRP ${trid} ${v} MBE N`,
    `LST ${trid} FL ${v} 0 0`,
    `LST ${trid} AL ${v} 0 0`,
    `LST ${trid} BL ${v} 0 0`,
    `LST ${trid} RL ${v} 0 0`,
  ];
}

/**
 * The cast of sessions.md 1: Alice has Bob and Carol on FL and AL, both have her on their FL.
 * Phones as in the cast. Alice's version is 7 afterwards (four edits of hers, two RL additions).
 */
async function session1Cast(): Promise<{ alice: string; bob: string; carol: string }> {
  const u = await freshUsers(s, { alice: 'Alice A', bob: 'Bob B', carol: 'Carol C' });
  await setPhones(s, u.alice, { PHH: '1%20(555)%200100' });
  await setPhones(s, u.bob, { PHH: '1%20(555)%200142', PHM: '1%20(555)%200199', MOB: 'Y', MBE: 'Y' });
  const alice = await signIn(s, u.alice);
  await alice.add('FL', u.bob, 'Bob%20B');
  await alice.add('FL', u.carol, 'Carol%20C');
  await alice.add('AL', u.bob, 'Bob%20B');
  await alice.add('AL', u.carol, 'Carol%20C');
  const bob = await signIn(s, u.bob);
  await bob.add('FL', u.alice, 'Alice%20A');
  const carol = await signIn(s, u.carol);
  await carol.add('FL', u.alice, 'Alice%20A');
  closeAll();
  return u;
}

function session1Dump(trid: number, u: { alice: string; bob: string; carol: string }): string[] {
  const v = 7;
  return [
    `SYN ${trid} ${v}`,
    `GTC ${trid} ${v} A`,
    `BLP ${trid} ${v} AL`,
    `PRP ${trid} ${v} PHH 1%20(555)%200100`,
    `PRP ${trid} ${v} PHW`,
    `PRP ${trid} ${v} PHM`,
    `PRP ${trid} ${v} MOB N`,
    `PRP ${trid} ${v} MBE N`,
    `LST ${trid} FL ${v} 1 2 ${u.bob} Bob%20B`,
    `BPR ${v} ${u.bob} PHH 1%20(555)%200142`,
    `BPR ${v} ${u.bob} PHW`,
    `BPR ${v} ${u.bob} PHM 1%20(555)%200199`,
    `BPR ${v} ${u.bob} MOB Y`,
    `LST ${trid} FL ${v} 2 2 ${u.carol} Carol%20C`,
    `BPR ${v} ${u.carol} PHH`,
    `BPR ${v} ${u.carol} PHW`,
    `BPR ${v} ${u.carol} PHM`,
    `BPR ${v} ${u.carol} MOB N`,
    `LST ${trid} AL ${v} 1 2 ${u.bob} Bob%20B`,
    `LST ${trid} AL ${v} 2 2 ${u.carol} Carol%20C`,
    `LST ${trid} BL ${v} 0 0`,
    `LST ${trid} RL ${v} 1 2 ${u.bob} Bob%20B`,
    `LST ${trid} RL ${v} 2 2 ${u.carol} Carol%20C`,
  ];
}

describe('SYN: the full dump (MSNP5.md 9.4)', () => {
  test('a brand-new account is at version 1 and SYN 0 dumps everything, lists empty as `0 0`', async () => {
    const u = await freshUsers(s, { nina: 'Nina' });
    const nina = await signIn(s, u.nina);
    assert.deepEqual(await synDump(nina.conn, 8, 0), emptyDump(8, 1));
  });

  test('sessions.md 1: GTC, BLP, five PRP, each LST FL followed by four BPR, AL, BL, RL last', async () => {
    const u = await session1Cast();
    const alice = await signIn(s, u.alice);
    assert.deepEqual(await synDump(alice.conn, 8, 0), session1Dump(8, u));
  });

  test('an older cached version gets the full dump', async () => {
    const u = await session1Cast();
    const alice = await signIn(s, u.alice);
    assert.deepEqual(await synDump(alice.conn, 8, 5), session1Dump(8, u));
  });

  test('a cached version above the current one also gets the full dump', async () => {
    const u = await session1Cast();
    const alice = await signIn(s, u.alice);
    assert.deepEqual(await synDump(alice.conn, 8, 4294967295), session1Dump(8, u));
  });

  test('the current version gets only the SYN line (sessions.md 3)', async () => {
    const u = await session1Cast();
    const alice = await signIn(s, u.alice);
    assert.equal(await ask(alice.conn, 'SYN', 8, 7), 'SYN 8 7');
    await assertNothingMore(alice.conn);
  });

  test('SYN 0 dumps even right after the account was created (version 1 is never 0)', async () => {
    const u = await freshUsers(s, { nina: 'Nina' });
    const nina = await signIn(s, u.nina);
    assert.equal(await ask(nina.conn, 'SYN', 8, 1), 'SYN 8 1');
    await assertNothingMore(nina.conn);
    assert.deepEqual(await synDump(nina.conn, 9, 0), emptyDump(9, 1));
  });

  test('every line but BPR carries the TrID exactly as the client wrote it (leading zeros kept)', async () => {
    const u = await session1Cast();
    const alice = await signIn(s, u.alice);
    const dump = await synDump(alice.conn, '0042', 0);
    const expected = session1Dump(42, u).map((line) => (line.startsWith('BPR') ? line : line.replace(' 42 ', ' 0042 ')));
    assert.deepEqual(dump, expected);
  });

  test('SYN may be repeated in a session: full dump again, and the new version after an edit', async () => {
    const u = await freshUsers(s, { nina: 'Nina', olaf: 'Olaf' });
    const nina = await signIn(s, u.nina);
    assert.deepEqual(await synDump(nina.conn, 8, 0), emptyDump(8, 1));
    assert.deepEqual(await synDump(nina.conn, 9, 0), emptyDump(9, 1));
    assert.equal(await ask(nina.conn, 'ADD', 10, 'BL', u.olaf, 'Olaf'), `ADD 10 BL 2 ${u.olaf} Olaf`);
    const dump = await synDump(nina.conn, 11, 1);
    assert.deepEqual(dump, [...emptyDump(11, 2).slice(0, 10), `LST 11 BL 2 1 1 ${u.olaf} Olaf`, 'LST 11 RL 2 0 0']);
    assert.equal(await ask(nina.conn, 'SYN', 12, 2), 'SYN 12 2');
    await assertNothingMore(nina.conn);
  });

  test('the dump shows settings and phones as stored, in a later session too', async () => {
    const u = await freshUsers(s, { nina: 'Nina' });
    await setPhones(s, u.nina, { PHW: '555%2D0100', MBE: 'Y' });
    const first = await signIn(s, u.nina);
    assert.equal(await ask(first.conn, 'GTC', 20, 'N'), 'GTC 20 2 N');
    assert.equal(await ask(first.conn, 'BLP', 21, 'BL'), 'BLP 21 3 BL');
    assert.equal(await ask(first.conn, 'PRP', 22, 'MOB', 'Y'), 'PRP 22 4 MOB Y');
    closeAll();
    const again = await signIn(s, u.nina);
    assert.deepEqual(await synDump(again.conn, 8, 0), [
      'SYN 8 4',
      'GTC 8 4 N',
      'BLP 8 4 BL',
      'PRP 8 4 PHH',
      'PRP 8 4 PHW 555%2D0100',
      'PRP 8 4 PHM',
      'PRP 8 4 MOB Y',
      'PRP 8 4 MBE Y',
      'LST 8 FL 4 0 0',
      'LST 8 AL 4 0 0',
      'LST 8 BL 4 0 0',
      'LST 8 RL 4 0 0',
    ]);
  });

  test("a change to the account between the login and SYN is in the dump (the login's read of it is not reused then)", async () => {
    const u = await freshUsers(s, { nina: 'Nina' });
    const nina = await signIn(s, u.nina);
    await setPhones(s, u.nina, { PHW: '555%2D0100' });
    const dump = await synDump(nina.conn, 8, 0);
    assert.equal(
      dump.find((line) => line.startsWith('PRP 8 1 PHW')),
      'PRP 8 1 PHW 555%2D0100',
    );
  });

  test('index comes before total, and RL is last even when only the RL has entries', async () => {
    const u = await freshUsers(s, { nina: 'Nina', olaf: 'Olaf', pia: 'Pia', quin: 'Quin' });
    for (const watcher of [u.olaf, u.pia, u.quin]) {
      const c = await signIn(s, watcher);
      await c.add('FL', u.nina, 'Nina');
    }
    closeAll();
    const nina = await signIn(s, u.nina);
    const dump = await synDump(nina.conn, 8, 0);
    assert.deepEqual(dump.slice(8), [
      'LST 8 FL 4 0 0',
      'LST 8 AL 4 0 0',
      'LST 8 BL 4 0 0',
      `LST 8 RL 4 1 3 ${u.olaf} Olaf`,
      `LST 8 RL 4 2 3 ${u.pia} Pia`,
      `LST 8 RL 4 3 3 ${u.quin} Quin`,
    ]);
  });
});

describe('SYN: BPR values are what the contact lets the user see (D-10)', () => {
  const phones = { PHH: '1%20(555)%200142', PHW: '555', PHM: '1%20(555)%200199', MOB: 'Y' as const, MBE: 'Y' as const };

  function bprLines(v: number, handle: string, visible: boolean): string[] {
    return visible
      ? [
          `BPR ${v} ${handle} PHH 1%20(555)%200142`,
          `BPR ${v} ${handle} PHW 555`,
          `BPR ${v} ${handle} PHM 1%20(555)%200199`,
          `BPR ${v} ${handle} MOB Y`,
        ]
      : [`BPR ${v} ${handle} PHH`, `BPR ${v} ${handle} PHW`, `BPR ${v} ${handle} PHM`, `BPR ${v} ${handle} MOB N`];
  }

  test('blocked, BLP BL without AL, BLP BL with AL, BLP AL: empty, empty, real, real', async () => {
    const u = await freshUsers(s, { viewer: 'Viewer', blocker: 'Blocker', closed: 'Closed', allower: 'Allower', open: 'Open' });
    for (const h of [u.blocker, u.closed, u.allower, u.open]) await setPhones(s, h, phones);
    const blocker = await signIn(s, u.blocker);
    await blocker.add('BL', u.viewer, 'V');
    const closed = await signIn(s, u.closed);
    await closed.setBlp('BL');
    const allower = await signIn(s, u.allower);
    await allower.setBlp('BL');
    await allower.add('AL', u.viewer, 'V');
    closeAll();
    const viewer = await signIn(s, u.viewer);
    for (const h of [u.blocker, u.closed, u.allower, u.open]) await viewer.add('FL', h, 'C');
    const dump = await synDump(viewer.conn, 30, 0);
    const v = 5;
    assert.deepEqual(dump.slice(8, 28), [
      `LST 30 FL ${v} 1 4 ${u.blocker} C`,
      ...bprLines(v, u.blocker, false),
      `LST 30 FL ${v} 2 4 ${u.closed} C`,
      ...bprLines(v, u.closed, false),
      `LST 30 FL ${v} 3 4 ${u.allower} C`,
      ...bprLines(v, u.allower, true),
      `LST 30 FL ${v} 4 4 ${u.open} C`,
      ...bprLines(v, u.open, true),
    ]);
  });

  test('a contact that blocks the user after the ADD: the next SYN shows empty values', async () => {
    const u = await freshUsers(s, { viewer: 'Viewer', contact: 'Contact' });
    await setPhones(s, u.contact, phones);
    const viewer = await signIn(s, u.viewer);
    await viewer.add('FL', u.contact, 'C');
    const before = await synDump(viewer.conn, 30, 0);
    assert.deepEqual(before.slice(9, 13), bprLines(2, u.contact, true));
    const contact = await signIn(s, u.contact);
    await contact.add('BL', u.viewer, 'V');
    const afterBlock = await synDump(viewer.conn, 31, 0);
    assert.deepEqual(afterBlock.slice(9, 13), bprLines(2, u.contact, false));
  });
});

describe('SYN in other dialects (MSNP5.md 4.3)', () => {
  for (const dialect of ['MSNP4', 'MSNP2']) {
    test(`${dialect}: no PRP and no BPR lines`, async () => {
      const u = await freshUsers(s, { old: 'Old', contact: 'Contact' });
      await setPhones(s, u.old, { PHH: '123' });
      await setPhones(s, u.contact, { PHH: '456', MOB: 'Y', MBE: 'Y' });
      const setup = await signIn(s, u.old);
      await setup.add('FL', u.contact, 'C');
      closeAll();
      const old = await signIn(s, u.old, { dialects: [dialect] });
      assert.equal(old.dialect, dialect);
      assert.deepEqual(await synDump(old.conn, 8, 0), [
        'SYN 8 2',
        'GTC 8 2 A',
        'BLP 8 2 AL',
        `LST 8 FL 2 1 1 ${u.contact} C`,
        'LST 8 AL 2 0 0',
        'LST 8 BL 2 0 0',
        'LST 8 RL 2 0 0',
      ]);
    });
  }
});

describe('SYN: bad input closes the connection (MSNP5.md 9.4, 3.7)', () => {
  for (const version of ['abc', '-1', '1.5', '0x1']) {
    test(`SYN with version ${JSON.stringify(version)}`, async () => {
      const u = await freshUsers(s, { nina: 'Nina' });
      const nina = await signIn(s, u.nina);
      nina.conn.send('SYN', 8, version);
      await assertClosed(nina.conn);
    });
  }

  test('SYN without a version, and SYN with an extra parameter', async () => {
    const u = await freshUsers(s, { nina: 'Nina' });
    const first = await signIn(s, u.nina);
    first.conn.send('SYN', 8);
    await assertClosed(first.conn);
    const second = await signIn(s, u.nina);
    second.conn.send('SYN', 8, 0, 0);
    await assertClosed(second.conn);
  });

  test('SYN with a non-numeric TrID', async () => {
    const u = await freshUsers(s, { nina: 'Nina' });
    const nina = await signIn(s, u.nina);
    nina.conn.send('SYN', 'x', 0);
    await assertClosed(nina.conn);
  });

  test('SYN before login (sessions.md 16a)', async () => {
    const conn = await s.connect('ns');
    assert.equal(await ask(conn, 'VER', 1, 'MSNP5', 'MSNP4', 'CVR0'), 'VER 1 MSNP5 MSNP4 CVR0');
    conn.send('SYN', 2, 0);
    await assertClosed(conn);
  });
});

describe('LST (MSNP5.md 9.5)', () => {
  test('each list in the SYN line format, without BPR lines (sessions.md 3)', async () => {
    const u = await session1Cast();
    const alice = await signIn(s, u.alice);
    assert.deepEqual(await listLines(alice.conn, 10, 'BL'), ['LST 10 BL 7 0 0']);
    assert.deepEqual(await listLines(alice.conn, 11, 'FL'), [`LST 11 FL 7 1 2 ${u.bob} Bob%20B`, `LST 11 FL 7 2 2 ${u.carol} Carol%20C`]);
    assert.deepEqual(await listLines(alice.conn, 12, 'AL'), [`LST 12 AL 7 1 2 ${u.bob} Bob%20B`, `LST 12 AL 7 2 2 ${u.carol} Carol%20C`]);
    assert.deepEqual(await listLines(alice.conn, 13, 'RL'), [`LST 13 RL 7 1 2 ${u.bob} Bob%20B`, `LST 13 RL 7 2 2 ${u.carol} Carol%20C`]);
  });

  test('LST works before SYN and in MSNP2, and shows the current version', async () => {
    const v = await freshUsers(s, { nina: 'Nina', olaf: 'Olaf' });
    const nina = await signIn(s, v.nina, { dialects: ['MSNP2'] });
    assert.equal(await ask(nina.conn, 'ADD', 8, 'AL', v.olaf, 'O%20laf'), `ADD 8 AL 2 ${v.olaf} O%20laf`);
    assert.deepEqual(await listLines(nina.conn, 9, 'AL'), [`LST 9 AL 2 1 1 ${v.olaf} O%20laf`]);
    assert.deepEqual(await listLines(nina.conn, 10, 'FL'), ['LST 10 FL 2 0 0']);
    assert.equal(await versionOf(s, v.nina), 2);
  });

  for (const bad of ['XL', 'fl', 'PL', 'ALL']) {
    test(`LST ${bad} closes the connection`, async () => {
      const v = await freshUsers(s, { nina: 'Nina' });
      const nina = await signIn(s, v.nina);
      nina.conn.send('LST', 8, bad);
      await assertClosed(nina.conn);
    });
  }

  test('LST without a list, or with an extra parameter, closes the connection', async () => {
    const v = await freshUsers(s, { nina: 'Nina' });
    const first = await signIn(s, v.nina);
    first.conn.send('LST', 8);
    await assertClosed(first.conn);
    const second = await signIn(s, v.nina);
    second.conn.send('LST', 8, 'FL', 0);
    await assertClosed(second.conn);
  });
});
