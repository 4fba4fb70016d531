// The list version (MSNP5.md 8.4): who gets +1 for each event, row by row of the reference's table,
// the value each reply and event reports, and the wrap after 4294967295.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UserSession } from '../../src/core/session.ts';
import type { Account } from '../../src/core/types.ts';
import { type SignedIn, World } from './world.ts';

let w: World;
before(async () => {
  w = await World.open();
});
after(() => w.close());

/** O acts; X is the contact it acts on; W watches O (O is on W's FL) and is online. */
interface Cast {
  o: Account;
  x: Account;
  w: Account;
  O: UserSession;
  W: SignedIn;
}

interface Row {
  event: string;
  /** What is in place before the event (not counted). */
  given?: (c: Cast) => Promise<unknown>;
  when: (c: Cast) => Promise<unknown>;
  /** Expected steps of O's, X's and W's versions. */
  steps: [o: number, x: number, w: number];
}

const rows: Row[] = [
  { event: 'O ADD FL X', when: (c) => c.O.add('FL', c.x.handle, 'X'), steps: [1, 1, 0] },
  { event: 'O REM FL X', given: (c) => c.O.add('FL', c.x.handle, 'X'), when: (c) => c.O.remove('FL', c.x.handle), steps: [1, 1, 0] },
  { event: 'O ADD AL X', when: (c) => c.O.add('AL', c.x.handle, 'X'), steps: [1, 0, 0] },
  { event: 'O ADD BL X', when: (c) => c.O.add('BL', c.x.handle, 'X'), steps: [1, 0, 0] },
  { event: 'O REM AL X', given: (c) => c.O.add('AL', c.x.handle, 'X'), when: (c) => c.O.remove('AL', c.x.handle), steps: [1, 0, 0] },
  { event: 'O REM BL X', given: (c) => c.O.add('BL', c.x.handle, 'X'), when: (c) => c.O.remove('BL', c.x.handle), steps: [1, 0, 0] },
  { event: 'O ADD BL W (a watcher)', when: (c) => c.O.add('BL', c.w.handle, 'W'), steps: [1, 0, 0] },
  { event: 'O REA self', when: (c) => c.O.renameSelf('New%20O'), steps: [1, 0, 0] },
  { event: 'O REA X', given: (c) => c.O.add('AL', c.x.handle, 'X'), when: (c) => c.O.renameContact(c.x.handle, 'Ex'), steps: [1, 0, 0] },
  { event: 'O GTC', when: (c) => c.O.setGtc('N'), steps: [1, 0, 0] },
  { event: 'O BLP', when: (c) => c.O.setBlp('BL'), steps: [1, 0, 0] },
  // W watches O, X is only on O's FL (X does not watch O): only W's version moves.
  { event: 'O PRP', given: (c) => c.O.add('FL', c.x.handle, 'X'), when: (c) => c.O.setPhone('PHH', '555'), steps: [1, 0, 1] },
  {
    event: 'O PRP, W blocked (still a watcher)',
    given: (c) => c.O.add('BL', c.w.handle, 'W'),
    when: (c) => c.O.setPhone('MOB', 'Y'),
    steps: [1, 0, 1],
  },
  { event: 'O ADG', when: (c) => c.O.addGroup('Friends'), steps: [1, 0, 0] },
  { event: 'O REG', when: (c) => c.O.renameGroup(0, 'All'), steps: [1, 0, 0] },
  {
    event: 'O RMG moving X to group 0 (D-11)',
    given: async (c) => {
      const made = await c.O.addGroup('Friends');
      assert.ok('ok' in made);
      await c.O.add('FL', c.x.handle, 'X', made.groupId);
      await c.O.remove('FL', c.x.handle, 0);
    },
    when: (c) => c.O.removeGroup(1),
    steps: [1, 0, 0],
  },
  {
    event: 'O ADD FL X to a second group (membership only)',
    given: async (c) => {
      await c.O.add('FL', c.x.handle, 'X');
      await c.O.addGroup('Friends');
    },
    when: (c) => c.O.add('FL', c.x.handle, 'X', 1),
    steps: [1, 0, 0],
  },
  {
    event: 'O REM FL X from one group (membership only)',
    given: async (c) => {
      await c.O.add('FL', c.x.handle, 'X');
      await c.O.addGroup('Friends');
      await c.O.add('FL', c.x.handle, 'X', 1);
    },
    when: (c) => c.O.remove('FL', c.x.handle, 1),
    steps: [1, 0, 0],
  },
  { event: 'O first CHG', when: (c) => c.O.changeStatus('NLN'), steps: [0, 0, 0] },
  { event: 'O CHG to another status', given: (c) => c.O.changeStatus('NLN'), when: (c) => c.O.changeStatus('BSY'), steps: [0, 0, 0] },
  { event: 'O CHG HDN', given: (c) => c.O.changeStatus('NLN'), when: (c) => c.O.changeStatus('HDN'), steps: [0, 0, 0] },
  { event: 'O signs out', given: (c) => c.O.changeStatus('NLN'), when: (c) => c.O.signOut('session of O'), steps: [0, 0, 0] },
  // A refused request changes nothing (MSNP5.md 3.3): 215, 216, 218, 219, 205.
  {
    event: 'O ADD AL X again (215)',
    given: (c) => c.O.add('AL', c.x.handle, 'X'),
    when: (c) => c.O.add('AL', c.x.handle, 'X'),
    steps: [0, 0, 0],
  },
  { event: 'O REM FL X not there (216)', when: (c) => c.O.remove('FL', c.x.handle), steps: [0, 0, 0] },
  { event: 'O BLP AL already (218)', when: (c) => c.O.setBlp('AL'), steps: [0, 0, 0] },
  {
    event: 'O ADD BL X on AL (219)',
    given: (c) => c.O.add('AL', c.x.handle, 'X'),
    when: (c) => c.O.add('BL', c.x.handle, 'X'),
    steps: [0, 0, 0],
  },
];

describe('who gets +1 (MSNP5.md 8.4 table)', () => {
  for (const row of rows) {
    test(`8.4: ${row.event} → O +${row.steps[0]}, X +${row.steps[1]}, W +${row.steps[2]}`, async () => {
      const a = await w.accounts({ o: 'O', x: 'X', w: 'W' });
      const O = (await w.signIn(a.o)).user;
      const W = await w.online(a.w);
      await W.user.add('FL', a.o.handle, 'O');
      const cast: Cast = { ...a, O, W };
      await row.given?.(cast);
      const before = await w.versions(a.o, a.x, a.w);
      await row.when(cast);
      const after = await w.versions(a.o, a.x, a.w);
      assert.deepEqual(
        after.map((v, i) => v - before[i]!),
        row.steps,
      );
    });
  }
});

describe('the version each reply and event reports (MSNP5.md 8.4)', () => {
  test("8.4: replies carry the new stored version; ADD 0 RL and BPR carry the receiver's", async () => {
    const a = await w.accounts({ o: 'O', x: 'X' });
    const O = await w.signIn(a.o);
    const X = await w.signIn(a.x);
    await X.user.setGtc('N'); // X at 2, so that the two counters differ
    const added = await O.user.add('FL', a.x.handle, 'X');
    assert.ok('ok' in added);
    assert.equal(added.version, await w.version(a.o));
    assert.deepEqual(
      X.endpoint.take('reverse-added').map((e) => e.version),
      [await w.version(a.x)],
    );
    await X.user.add('FL', a.o.handle, 'O'); // X watches O
    O.endpoint.clear();
    const prp = await O.user.setPhone('PHW', '1234');
    assert.equal(prp.version, await w.version(a.o));
    assert.deepEqual(
      X.endpoint.take('phone').map((e) => e.version),
      [await w.version(a.x)],
    );
    const removed = await O.user.remove('FL', a.x.handle);
    assert.ok('ok' in removed);
    assert.equal(removed.version, await w.version(a.o));
    assert.deepEqual(
      X.endpoint.take('reverse-removed').map((e) => e.version),
      [await w.version(a.x)],
    );
  });

  test('8.4: the same thing changed and changed back increments twice', async () => {
    const a = await w.accounts({ o: 'O', x: 'X' });
    const { user } = await w.signIn(a.o);
    await user.add('AL', a.x.handle, 'X');
    await user.remove('AL', a.x.handle);
    await user.setBlp('BL');
    await user.setBlp('AL');
    assert.equal(await w.version(a.o), 5);
  });

  test('8.4, D-22: new accounts start at 1', async () => {
    const a = await w.accounts({ o: 'O' });
    assert.equal(a.o.listVersion, 1);
  });

  test('8.4: after 4294967295 comes 1, for the owner and for the contact whose RL changed', async () => {
    const a = await w.accounts({ o: 'O', x: 'X' });
    w.setListVersion(a.o, 4294967295);
    w.setListVersion(a.x, 4294967295);
    const O = await w.signIn(a.o);
    const X = await w.signIn(a.x);
    assert.deepEqual(await O.user.add('FL', a.x.handle, 'X'), {
      ok: true,
      version: 1,
      phones: { PHH: '', PHW: '', PHM: '', MOB: 'N', MBE: 'N' },
    });
    assert.deepEqual(
      X.endpoint.take('reverse-added').map((e) => e.version),
      [1],
    );
    assert.deepEqual(await w.versions(a.o, a.x), [1, 1]);
    assert.deepEqual(await O.user.setGtc('N'), { ok: true, version: 2 });
  });
});
