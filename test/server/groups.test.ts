/**
 * MSNP7 contact groups over TCP (MSNP5.md 9.4, 9.5, 9.8, 9.9, 9.29, 14, D-11, D-17; sessions.md
 * 17a): LSG in SYN and alone, ADG/RMG/REG with their errors and limits, the group parameter of
 * ADD/REM FL, one version step per change, and what MSNP5 clients send and see of the same lists.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { ALL_DIALECTS } from '../../src/protocol/dialects.ts';
import { ask } from '../helpers/ask.ts';
import { useMsnd } from '../helpers/msnd.ts';
import {
  askLines,
  assertClosed,
  assertNothingMore,
  barrier,
  freshUsers,
  listLines,
  signIn,
  storedContacts,
  synDump,
  versionOf,
} from '../helpers/stored-lists.ts';

const MSNP7 = ['MSNP7', 'CVR0'];
const MSNP5 = ['MSNP5', 'CVR0'];

const s = useMsnd({ dialects: [...ALL_DIALECTS] });

const isGroupListEnd = (r: { name: string; args: string[] }) => r.name === 'LSG' && r.args[2] === r.args[3];

/** Two fresh accounts; the owner signs in with MSNP7, synced and present. */
async function ownerAndFriend() {
  const u = await freshUsers(s, { owner: 'Owner O', friend: 'Friend F' });
  const owner = await signIn(s, u.owner, { dialects: MSNP7, sync: true, present: true });
  return { u, owner };
}

/** Lets the lines still due to this session arrive, then forgets them. */
async function settle(conn: MsnClient['conn']): Promise<void> {
  await barrier(conn);
  conn.drain();
}

async function groupsOf(handle: string): Promise<string[]> {
  const account = (await s.store.findAccount(handle))!;
  const groups = await s.store.transaction((tx) => tx.groups(account.id));
  return groups.map((g) => `${g.id} ${g.name}`);
}

async function groupIdsOf(owner: string, contact: string): Promise<number[] | undefined> {
  return (await storedContacts(s, owner)).get(contact)?.groups;
}

describe('LSG (MSNP5.md 9.29)', () => {
  test('a new account has group 0, Other Contacts; LSG answers one line per group at the list version', async () => {
    const { owner } = await ownerAndFriend();
    assert.deepEqual(await askLines(owner.conn, 'LSG', 5, [], isGroupListEnd), ['LSG 5 1 1 1 0 Other%20Contacts 0']);
    assert.equal(await ask(owner.conn, 'ADG', 6, 'Friends', 0), 'ADG 6 2 Friends 1 0');
    assert.deepEqual(await askLines(owner.conn, 'LSG', 7, [], isGroupListEnd), [
      'LSG 7 2 1 2 0 Other%20Contacts 0',
      'LSG 7 2 2 2 1 Friends 0',
    ]);
  });

  test('SYN of an MSNP7 client: LSG after PRP, FL lines with group ids, AL/BL/RL without', async () => {
    const { u, owner } = await ownerAndFriend();
    await ask(owner.conn, 'ADG', 5, 'Work', 0);
    await owner.add('FL', u.friend, 'F', '1');
    await ask(owner.conn, 'ADD', 6, 'FL', u.friend, 'F', 0);
    await owner.add('AL', u.friend, 'F');
    const dump = await synDump(owner.conn, 8);
    assert.deepEqual(
      dump.filter((l) => !l.startsWith('BPR') && !l.startsWith('PRP')),
      [
        'SYN 8 5',
        'GTC 8 5 A',
        'BLP 8 5 AL',
        'LSG 8 5 1 2 0 Other%20Contacts 0',
        'LSG 8 5 2 2 1 Work 0',
        `LST 8 FL 5 1 1 ${u.friend} F 0,1`,
        `LST 8 AL 5 1 1 ${u.friend} F`,
        'LST 8 BL 5 0 0',
        'LST 8 RL 5 0 0',
      ],
    );
    assert.equal(dump.indexOf('LSG 8 5 1 2 0 Other%20Contacts 0'), dump.indexOf('PRP 8 5 MBE N') + 1);
    assert.deepEqual(await listLines(owner.conn, 9, 'FL'), [`LST 9 FL 5 1 1 ${u.friend} F 0,1`]);
    assert.deepEqual(await listLines(owner.conn, 10, 'AL'), [`LST 10 AL 5 1 1 ${u.friend} F`]);
  });

  test('LSG with a parameter closes the connection', async () => {
    const { owner } = await ownerAndFriend();
    owner.conn.send('LSG', 5, 'x');
    await assertClosed(owner.conn);
  });
});

describe('ADG (MSNP5.md 9.29, 14)', () => {
  test('ids are the lowest free ones; a removed id is given out again', async () => {
    const { u, owner } = await ownerAndFriend();
    assert.equal(await ask(owner.conn, 'ADG', 5, 'A', 0), 'ADG 5 2 A 1 0');
    assert.equal(await ask(owner.conn, 'ADG', 6, 'B', 0), 'ADG 6 3 B 2 0');
    assert.equal(await ask(owner.conn, 'RMG', 7, 1), 'RMG 7 4 1');
    assert.equal(await ask(owner.conn, 'ADG', 8, 'C%20c', 0), 'ADG 8 5 C%20c 1 0');
    assert.deepEqual(await groupsOf(u.owner), ['0 Other%20Contacts', '1 C%20c', '2 B']);
  });

  test('30 groups at most: the 30th ADG after group 0 gets 223 and changes nothing', async () => {
    const { u, owner } = await ownerAndFriend();
    for (let i = 1; i <= 29; i++) assert.equal(await ask(owner.conn, 'ADG', i + 10, `G${i}`, 0), `ADG ${i + 10} ${i + 1} G${i} ${i} 0`);
    assert.equal(await ask(owner.conn, 'ADG', 50, 'One%20more', 0), '223 50');
    assert.equal(await versionOf(s, u.owner), 30);
    assert.equal((await groupsOf(u.owner)).length, 30);
  });

  test('names: 61 encoded bytes pass, 62 get 229 (D-17), bad UTF-8 gets 229, an extremely long one closes', async () => {
    const { u, owner } = await ownerAndFriend();
    const sixtyOne = `${'%41'.repeat(20)}B`;
    assert.equal(await ask(owner.conn, 'ADG', 5, sixtyOne, 0), `ADG 5 2 ${sixtyOne} 1 0`);
    assert.equal(await ask(owner.conn, 'ADG', 6, `${sixtyOne}C`, 0), '229 6');
    assert.equal(await ask(owner.conn, 'ADG', 7, 'bad%FF', 0), '229 7');
    assert.equal(await ask(owner.conn, 'ADG', 8, 'tab%09', 0), '229 8');
    assert.equal(await versionOf(s, u.owner), 2);
    owner.conn.send('ADG', 9, 'x'.repeat(400), 0);
    await assertClosed(owner.conn);
    assert.equal(await versionOf(s, u.owner), 2);
  });

  const malformed: [string, (string | number)[]][] = [
    ['without the trailing 0', ['Name']],
    ['with a word for the trailing 0', ['Name', 'x']],
    ['with one parameter too many', ['Name', 0, 0]],
  ];
  for (const [what, args] of malformed) {
    test(`ADG ${what} closes the connection`, async () => {
      const { u, owner } = await ownerAndFriend();
      owner.conn.send('ADG', 5, ...args);
      await assertClosed(owner.conn);
      assert.deepEqual(await groupsOf(u.owner), ['0 Other%20Contacts']);
    });
  }
});

describe('RMG and REG (MSNP5.md 9.29, D-11)', () => {
  test('RMG 0 → 230, unknown → 224; REG renames, also group 0; REG of an unknown group → 224', async () => {
    const { u, owner } = await ownerAndFriend();
    assert.equal(await ask(owner.conn, 'RMG', 5, 0), '230 5');
    assert.equal(await ask(owner.conn, 'RMG', 6, 4), '224 6');
    assert.equal(await ask(owner.conn, 'REG', 7, 0, 'Everyone', 0), 'REG 7 2 0 Everyone 0');
    assert.equal(await ask(owner.conn, 'REG', 8, 3, 'Nobody', 0), '224 8');
    assert.equal(await ask(owner.conn, 'REG', 9, 0, `${'x'.repeat(62)}`, 0), '229 9');
    assert.deepEqual(await groupsOf(u.owner), ['0 Everyone']);
    assert.equal(await versionOf(s, u.owner), 2);
  });

  test('RMG: contacts only in that group move to group 0, the others just leave it; one version step', async () => {
    const u = await freshUsers(s, { owner: 'Owner', a: 'A', b: 'B' });
    const owner = await signIn(s, u.owner, { dialects: MSNP7, sync: true });
    await owner.addGroup('Left');
    await owner.addGroup('Kept');
    await owner.add('FL', u.a, 'A', '1');
    await owner.add('FL', u.b, 'B', '1');
    await owner.add('FL', u.b, 'B', '2');
    await settle(owner.conn);
    const before = await versionOf(s, u.owner);
    assert.equal(await ask(owner.conn, 'RMG', 9, 1), `RMG 9 ${before + 1} 1`);
    assert.equal(await versionOf(s, u.owner), before + 1);
    assert.deepEqual(await groupIdsOf(u.owner, u.a), [0]);
    assert.deepEqual(await groupIdsOf(u.owner, u.b), [2]);
    assert.deepEqual(await listLines(owner.conn, 10, 'FL'), [
      `LST 10 FL ${before + 1} 1 2 ${u.a} A 0`,
      `LST 10 FL ${before + 1} 2 2 ${u.b} B 2`,
    ]);
    assert.equal((await storedContacts(s, u.owner)).get(u.a)?.lists.FL, true);
  });

  const malformed: [string, string, (string | number)[]][] = [
    ['RMG of group 30', 'RMG', [30]],
    ['RMG of a word', 'RMG', ['one']],
    ['RMG of -1', 'RMG', ['-1']],
    ['RMG without an id', 'RMG', []],
    ['REG of group 30', 'REG', [30, 'x', 0]],
    ['REG without the trailing 0', 'REG', [0, 'x']],
    ['REG with an extremely long name', 'REG', [0, 'x'.repeat(400), 0]],
  ];
  for (const [what, name, args] of malformed) {
    test(`${what} closes the connection`, async () => {
      const { u, owner } = await ownerAndFriend();
      owner.conn.send(name, 5, ...args);
      await assertClosed(owner.conn);
      assert.deepEqual(await groupsOf(u.owner), ['0 Other%20Contacts']);
    });
  }
});

describe('ADD and REM FL with a group (MSNP5.md 9.8, 9.9; sessions.md 17a)', () => {
  test('a new FL entry with a group: the reply ends with it, then BPR and ILN; the contact gets ADD 0 RL', async () => {
    const { u, owner } = await ownerAndFriend();
    const friend = await signIn(s, u.friend, { sync: true, present: true });
    await ask(owner.conn, 'ADG', 5, 'Pals', 0);
    const isIln = (r: { name: string; args: string[] }) => r.name === 'ILN';
    assert.deepEqual(await askLines(owner.conn, 'ADD', 6, ['FL', u.friend, 'F', 1], isIln), [
      `ADD 6 FL 3 ${u.friend} F 1`,
      `BPR 3 ${u.friend} PHH`,
      `BPR 3 ${u.friend} PHW`,
      `BPR 3 ${u.friend} PHM`,
      `BPR 3 ${u.friend} MOB N`,
      `ILN 6 NLN ${u.friend} Friend%20F`,
    ]);
    assert.equal((await friend.conn.next('ADD')).line, `ADD 0 RL 2 ${u.owner} Owner%20O`);
    assert.deepEqual(await groupIdsOf(u.owner, u.friend), [1]);
  });

  test('a new FL entry without a group goes to group 0', async () => {
    const { u, owner } = await ownerAndFriend();
    await owner.add('FL', u.friend, 'F');
    assert.deepEqual(await groupIdsOf(u.owner, u.friend), [0]);
  });

  test('another group for an FL contact only adds the membership: no RL push, no BPR, no ILN', async () => {
    const { u, owner } = await ownerAndFriend();
    const friend = await signIn(s, u.friend, { sync: true, present: true });
    await owner.add('FL', u.friend, 'F');
    await friend.conn.next('ADD');
    await owner.addGroup('Pals');
    await settle(owner.conn);
    assert.equal(await ask(owner.conn, 'ADD', 7, 'FL', u.friend, 'F', 1), `ADD 7 FL 4 ${u.friend} F 1`);
    await assertNothingMore(owner.conn);
    await assertNothingMore(friend.conn);
    assert.equal(await versionOf(s, u.friend), 2);
    assert.deepEqual(await groupIdsOf(u.owner, u.friend), [0, 1]);
  });

  test('ADD errors: 224 for an unknown group (after 205), 215 when already in that group or without a group', async () => {
    const { u, owner } = await ownerAndFriend();
    assert.equal(await ask(owner.conn, 'ADD', 5, 'FL', 'ghost@example.com', 'G', 7), '205 5');
    assert.equal(await ask(owner.conn, 'ADD', 6, 'FL', u.friend, 'F', 7), '224 6');
    await owner.add('FL', u.friend, 'F');
    assert.equal(await ask(owner.conn, 'ADD', 7, 'FL', u.friend, 'F', 0), '215 7');
    assert.equal(await ask(owner.conn, 'ADD', 8, 'FL', u.friend, 'F'), '215 8');
    assert.equal(await versionOf(s, u.owner), 2);
  });

  test('REM FL with a group: 216 off FL, 224 unknown group, 225 not in it; the last group leaves it in group 0', async () => {
    const { u, owner } = await ownerAndFriend();
    await owner.addGroup('Pals');
    assert.equal(await ask(owner.conn, 'REM', 5, 'FL', u.friend, 1), '216 5');
    await owner.add('FL', u.friend, 'F', '1');
    assert.equal(await ask(owner.conn, 'REM', 6, 'FL', u.friend, 9), '224 6');
    assert.equal(await ask(owner.conn, 'REM', 7, 'FL', u.friend, 0), '225 7');
    assert.equal(await ask(owner.conn, 'REM', 8, 'FL', u.friend, 1), `REM 8 FL 4 ${u.friend} 1`);
    assert.deepEqual(await groupIdsOf(u.owner, u.friend), [0]);
    assert.equal((await storedContacts(s, u.owner)).get(u.friend)?.lists.FL, true);
    assert.equal(await ask(owner.conn, 'REM', 9, 'FL', u.friend), `REM 9 FL 5 ${u.friend}`);
    assert.equal((await storedContacts(s, u.owner)).get(u.friend), undefined);
  });

  const closing: [string, string, (string | number)[]][] = [
    ['ADD AL with a group', 'ADD', ['AL', 'FRIEND', 'F', 0]],
    ['ADD FL with group 30', 'ADD', ['FL', 'FRIEND', 'F', 30]],
    ['ADD FL with a word as group', 'ADD', ['FL', 'FRIEND', 'F', 'x']],
    ['REM BL with a group', 'REM', ['BL', 'FRIEND', 0]],
    ['REM FL with group 100', 'REM', ['FL', 'FRIEND', 100]],
  ];
  for (const [what, name, args] of closing) {
    test(`${what} closes the connection`, async () => {
      const { u, owner } = await ownerAndFriend();
      owner.conn.send(name, 5, ...args.map((a) => (a === 'FRIEND' ? u.friend : a)));
      await assertClosed(owner.conn);
      assert.equal(await versionOf(s, u.owner), 1);
    });
  }
});

describe('groups and older dialects (MSNP5.md 3.7, 4.3; issue 5 tolerance)', () => {
  test('an MSNP5 client that sends a group id on ADD/REM FL has it ignored', async () => {
    const u = await freshUsers(s, { owner: 'Owner', friend: 'Friend' });
    const owner = await signIn(s, u.owner, { dialects: MSNP5, sync: true });
    assert.equal(await ask(owner.conn, 'ADD', 5, 'FL', u.friend, 'F', 3), `ADD 5 FL 2 ${u.friend} F`);
    await owner.conn.next('BPR');
    assert.deepEqual(await groupIdsOf(u.owner, u.friend), [0]);
    owner.conn.drain();
    assert.equal(await ask(owner.conn, 'REM', 6, 'FL', u.friend, 0), `REM 6 FL 3 ${u.friend}`);
    assert.equal((await storedContacts(s, u.owner)).get(u.friend), undefined);
  });

  for (const [name, args] of [
    ['LSG', []],
    ['ADG', ['x', 0]],
    ['RMG', [1]],
    ['REG', [0, 'x', 0]],
  ] as const) {
    test(`${name} from an MSNP6 client is an unknown command: closed`, async () => {
      const u = await freshUsers(s, { owner: 'Owner' });
      const owner = await signIn(s, u.owner, { dialects: ['MSNP6'] });
      owner.conn.send(name, 5, ...args);
      await assertClosed(owner.conn);
    });
  }

  test('one account, MSNP7 then MSNP5 then MSNP7: one FL, groups kept for the MSNP7 client', async () => {
    const u = await freshUsers(s, { owner: 'Owner', a: 'A', b: 'B' });
    const seven = await signIn(s, u.owner, { dialects: MSNP7, sync: true });
    await seven.addGroup('Pals');
    await seven.add('FL', u.a, 'A', '1');
    await seven.signOut();

    const five = await signIn(s, u.owner, { dialects: MSNP5, sync: true });
    const fiveDump = await synDump(five.conn, 5);
    assert.ok(!fiveDump.some((l) => l.startsWith('LSG')));
    assert.ok(fiveDump.includes(`LST 5 FL 3 1 1 ${u.a} A`), fiveDump.join('\n'));
    await five.add('FL', u.b, 'B');
    await five.signOut();

    const again = await signIn(s, u.owner, { dialects: MSNP7 });
    const dump = await synDump(again.conn, 6);
    assert.deepEqual(
      dump.filter((l) => l.startsWith('LSG') || l.startsWith('LST 6 FL')),
      ['LSG 6 4 1 2 0 Other%20Contacts 0', 'LSG 6 4 2 2 1 Pals 0', `LST 6 FL 4 1 2 ${u.a} A 1`, `LST 6 FL 4 2 2 ${u.b} B 0`],
    );
  });
});
