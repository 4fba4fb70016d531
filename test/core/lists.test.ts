// The four lists (MSNP5.md 8.2) as UserSession keeps them: ADD (9.8), REM (9.9), REA (9.10),
// GTC/BLP (9.6, 9.7), on a real store; the contact's side is seen through its bus events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ListMembership } from '../../src/core/types.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { World } from './world.ts';

const NONE: ListMembership = { FL: false, AL: false, BL: false, RL: false };
const on = (...lists: (keyof ListMembership)[]): ListMembership => ({ ...NONE, ...Object.fromEntries(lists.map((l) => [l, true])) });

let w: World;
before(async () => {
  w = await World.open();
});
after(() => w.close());

describe('RL mirror (MSNP5.md 8.2, 9.8, 9.9)', () => {
  test("8.2: ADD FL puts the adder on the contact's RL, named with the adder's friendly name, and tells the contact", async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
    const alice = await w.signIn(a.alice);
    const bob = await w.signIn(a.bob);
    const added = await alice.user.add('FL', a.bob.handle, 'Bobby');
    assert.ok('ok' in added);
    assert.deepEqual(await w.record(a.alice, a.bob), {
      contactId: a.bob.id,
      handle: a.bob.handle,
      name: 'Bobby',
      lists: on('FL'),
      groups: [0],
    });
    assert.deepEqual(await w.record(a.bob, a.alice), {
      contactId: a.alice.id,
      handle: a.alice.handle,
      name: 'Alice',
      lists: on('RL'),
      groups: [],
    });
    assert.deepEqual(bob.endpoint.take('reverse-added'), [{ kind: 'reverse-added', version: 2, contact: a.alice.handle, name: 'Alice' }]);
  });

  test("8.2: REM FL takes the remover off the contact's RL and tells the contact; records with no bits left are deleted", async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
    const alice = await w.signIn(a.alice);
    const bob = await w.signIn(a.bob);
    await alice.user.add('FL', a.bob.handle, 'Bob');
    bob.endpoint.clear();
    const removed = await alice.user.remove('FL', a.bob.handle);
    assert.deepEqual(removed, { ok: true, version: 3 });
    assert.equal(await w.record(a.alice, a.bob), undefined);
    assert.equal(await w.record(a.bob, a.alice), undefined);
    assert.deepEqual(bob.endpoint.take('reverse-removed'), [{ kind: 'reverse-removed', version: 3, contact: a.alice.handle }]);
  });

  test("8.2: the RL record keeps the contact's own bits: REM FL leaves the contact's AL entry of the remover", async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
    const alice = await w.signIn(a.alice);
    const bob = await w.signIn(a.bob);
    await bob.user.add('AL', a.alice.handle, 'Al');
    await alice.user.add('FL', a.bob.handle, 'Bob');
    assert.deepEqual((await w.record(a.bob, a.alice))?.lists, on('AL', 'RL'));
    assert.equal((await w.record(a.bob, a.alice))?.name, 'Al', 'the name Bob gave stays');
    await alice.user.remove('FL', a.bob.handle);
    assert.deepEqual(await w.record(a.bob, a.alice), {
      contactId: a.alice.id,
      handle: a.alice.handle,
      name: 'Al',
      lists: on('AL'),
      groups: [],
    });
  });

  test('8.2, D-8: ADD 0 RL reaches the contact even when the adder is on its BL', async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
    const alice = await w.signIn(a.alice);
    const bob = await w.signIn(a.bob);
    await bob.user.add('BL', a.alice.handle, 'Alice');
    bob.endpoint.clear();
    await alice.user.add('FL', a.bob.handle, 'Bob');
    assert.equal(bob.endpoint.take('reverse-added').length, 1);
  });

  test("8.2: an offline contact's RL changes all the same; the event is simply dropped", async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
    const alice = await w.signIn(a.alice);
    await alice.user.add('FL', a.bob.handle, 'Bob');
    assert.deepEqual((await w.record(a.bob, a.alice))?.lists, on('RL'));
  });

  test("8.2: AL and BL edits do not touch the contact's RL", async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
    const alice = await w.signIn(a.alice);
    const bob = await w.signIn(a.bob);
    await alice.user.add('AL', a.bob.handle, 'Bob');
    await alice.user.remove('AL', a.bob.handle);
    await alice.user.add('BL', a.bob.handle, 'Bob');
    assert.equal(await w.record(a.bob, a.alice), undefined);
    assert.deepEqual(bob.endpoint.events, []);
  });
});

describe('list rules of ADD and REM (MSNP5.md 8.2, 9.8, 9.9)', () => {
  test('8.2, 9.8 check 8: AL and BL are exclusive both ways → 219, nothing changes', async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob', carol: 'Carol' });
    const alice = await w.signIn(a.alice);
    await alice.user.add('AL', a.bob.handle, 'Bob');
    await alice.user.add('BL', a.carol.handle, 'Carol');
    const version = await w.version(a.alice);
    assert.deepEqual(await alice.user.add('BL', a.bob.handle, 'Bob'), { error: ErrorCode.ALREADY_IN_OPPOSITE_LIST });
    assert.deepEqual(await alice.user.add('AL', a.carol.handle, 'Carol'), { error: ErrorCode.ALREADY_IN_OPPOSITE_LIST });
    assert.deepEqual((await w.record(a.alice, a.bob))?.lists, on('AL'));
    assert.deepEqual((await w.record(a.alice, a.carol))?.lists, on('BL'));
    assert.equal(await w.version(a.alice), version);
  });

  test('8.2: FL is independent of AL and BL: a blocked contact may stay on FL, an allowed one need not be there', async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob', carol: 'Carol' });
    const alice = await w.signIn(a.alice);
    await alice.user.add('FL', a.bob.handle, 'Bob');
    assert.ok('ok' in (await alice.user.add('BL', a.bob.handle, 'Bob')));
    assert.ok('ok' in (await alice.user.add('AL', a.carol.handle, 'Carol')));
    assert.deepEqual((await w.record(a.alice, a.bob))?.lists, on('FL', 'BL'));
    assert.deepEqual((await w.record(a.alice, a.carol))?.lists, on('AL'));
  });

  for (const list of ['FL', 'AL', 'BL'] as const) {
    test(`9.8 check 7: ADD ${list} of a contact already on ${list} → 215, nothing changes`, async () => {
      const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
      const alice = await w.signIn(a.alice);
      await alice.user.add(list, a.bob.handle, 'Bob');
      const versions = await w.versions(a.alice, a.bob);
      assert.deepEqual(await alice.user.add(list, a.bob.handle, 'Other'), { error: ErrorCode.ALREADY_THERE });
      assert.equal((await w.record(a.alice, a.bob))?.name, 'Bob', 'the refused ADD did not rename');
      assert.deepEqual(await w.versions(a.alice, a.bob), versions);
    });

    test(`9.9: REM ${list} of a contact not on ${list} → 216, also for an unknown handle`, async () => {
      const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
      const alice = await w.signIn(a.alice);
      const other = list === 'AL' ? 'BL' : 'AL';
      await alice.user.add(other, a.bob.handle, 'Bob');
      const version = await w.version(a.alice);
      assert.deepEqual(await alice.user.remove(list, a.bob.handle), { error: ErrorCode.NOT_ON_LIST });
      assert.deepEqual(await alice.user.remove(list, 'nobody-at-all@example.com'), { error: ErrorCode.NOT_ON_LIST });
      assert.equal(await w.version(a.alice), version);
    });

    test(`9.8 check 5: ADD ${list} of a handle with no account → 205`, async () => {
      const a = await w.accounts({ alice: 'Alice' });
      const alice = await w.signIn(a.alice);
      assert.deepEqual(await alice.user.add(list, 'nobody-at-all@example.com', 'Nobody'), { error: ErrorCode.INVALID_USER });
      assert.equal(await w.version(a.alice), 1);
    });
  }

  test('9.9: REM RL-only contact from FL → 216 (being watched is not being on FL)', async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
    const alice = await w.signIn(a.alice);
    const bob = await w.signIn(a.bob);
    await bob.user.add('FL', a.alice.handle, 'Alice');
    assert.deepEqual(await alice.user.remove('FL', a.bob.handle), { error: ErrorCode.NOT_ON_LIST });
    assert.deepEqual((await w.record(a.alice, a.bob))?.lists, on('RL'));
  });

  test('8.2: the stored name is set by the latest ADD (on another list) and by REA of the contact', async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
    const alice = await w.signIn(a.alice);
    await alice.user.add('FL', a.bob.handle, 'First');
    await alice.user.add('AL', a.bob.handle, 'Second');
    assert.equal((await w.record(a.alice, a.bob))?.name, 'Second');
    assert.ok('ok' in (await alice.user.renameContact(a.bob.handle, 'Third')));
    assert.deepEqual(await w.record(a.alice, a.bob), {
      contactId: a.bob.id,
      handle: a.bob.handle,
      name: 'Third',
      lists: on('FL', 'AL'),
      groups: [0],
    });
  });

  test('9.10: REA of a contact on none of the lists → 216; of one only on RL it renames the RL record', async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob', carol: 'Carol' });
    const alice = await w.signIn(a.alice);
    const bob = await w.signIn(a.bob);
    assert.deepEqual(await alice.user.renameContact(a.carol.handle, 'Carol'), { error: ErrorCode.NOT_ON_LIST });
    assert.deepEqual(await alice.user.renameContact('nobody-at-all@example.com', 'X'), { error: ErrorCode.NOT_ON_LIST });
    await bob.user.add('FL', a.alice.handle, 'Alice');
    assert.ok('ok' in (await alice.user.renameContact(a.bob.handle, 'Robert')));
    assert.equal((await w.record(a.alice, a.bob))?.name, 'Robert');
  });

  test('8.2: X renaming itself does not change the names others stored for X', async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob' });
    const alice = await w.signIn(a.alice);
    const bob = await w.signIn(a.bob);
    await alice.user.add('FL', a.bob.handle, 'Bobby');
    await bob.user.renameSelf('Robert');
    assert.equal((await w.record(a.alice, a.bob))?.name, 'Bobby');
    assert.equal(bob.user.friendlyName, 'Robert');
    assert.equal((await w.store.findAccount(a.bob.handle))?.friendlyName, 'Robert');
  });

  test('9.6, 9.7: GTC and BLP to the mode they are already in → 218; a change is stored', async () => {
    const a = await w.accounts({ alice: 'Alice' });
    const alice = await w.signIn(a.alice);
    assert.deepEqual(await alice.user.setBlp('AL'), { error: ErrorCode.ALREADY_IN_MODE });
    assert.deepEqual(await alice.user.setGtc('A'), { error: ErrorCode.ALREADY_IN_MODE });
    assert.deepEqual(await alice.user.setBlp('BL'), { ok: true, version: 2 });
    assert.deepEqual(await alice.user.setGtc('N'), { ok: true, version: 3 });
    assert.deepEqual(await alice.user.setBlp('BL'), { error: ErrorCode.ALREADY_IN_MODE });
    const stored = await w.store.findAccount(a.alice.handle);
    assert.deepEqual([stored?.blp, stored?.gtc, stored?.listVersion], ['BL', 'N', 3]);
  });

  test('9.4: the snapshot is the stored state, FL entries with the phones the owner may see', async () => {
    const a = await w.accounts({ alice: 'Alice', bob: 'Bob' }, { bob: { phones: { PHH: '555', MOB: 'Y', MBE: 'Y' }, blp: 'BL' } });
    const alice = await w.signIn(a.alice);
    await alice.user.add('FL', a.bob.handle, 'Bob');
    await alice.user.add('AL', a.bob.handle, 'Bob');
    const snap = await alice.user.snapshot({ phones: true, groups: true });
    assert.equal(snap.account.listVersion, 3);
    assert.deepEqual(snap.groups, [{ id: 0, name: 'Other%20Contacts' }]);
    assert.deepEqual(snap.contacts, [
      {
        contactId: a.bob.id,
        handle: a.bob.handle,
        name: 'Bob',
        lists: on('FL', 'AL'),
        groups: [0],
        // Bob has BLP BL and Alice on neither of his lists: she sees blanks and his MBE (D-10).
        visiblePhones: { PHH: '', PHW: '', PHM: '', MOB: 'N', MBE: 'Y' },
      },
    ]);
    const plain = await alice.user.snapshot({ phones: false, groups: false });
    assert.deepEqual(plain.groups, []);
    assert.equal(plain.contacts[0]?.visiblePhones, undefined);
  });
});

describe('list sizes (MSNP5.md 8.2, 9.8 check 9, 14)', () => {
  const small = { forwardList: 2, otherLists: 2 };

  test('8.2: FL beyond forwardList → 210, nothing changes', async () => {
    const a = await w.accounts({ alice: 'Alice', b1: 'B1', b2: 'B2', b3: 'B3' });
    const alice = await w.signIn(a.alice, small);
    assert.ok('ok' in (await alice.user.add('FL', a.b1.handle, 'B1')));
    assert.ok('ok' in (await alice.user.add('FL', a.b2.handle, 'B2')));
    const versions = await w.versions(a.alice, a.b3);
    assert.deepEqual(await alice.user.add('FL', a.b3.handle, 'B3'), { error: ErrorCode.LIST_FULL });
    assert.equal(await w.record(a.alice, a.b3), undefined);
    assert.equal(await w.record(a.b3, a.alice), undefined);
    assert.deepEqual(await w.versions(a.alice, a.b3), versions);
  });

  for (const list of ['AL', 'BL'] as const) {
    test(`8.2: ${list} beyond otherLists → 210; FL still has room`, async () => {
      const a = await w.accounts({ alice: 'Alice', b1: 'B1', b2: 'B2', b3: 'B3' });
      const alice = await w.signIn(a.alice, small);
      await alice.user.add(list, a.b1.handle, 'B1');
      await alice.user.add(list, a.b2.handle, 'B2');
      assert.deepEqual(await alice.user.add(list, a.b3.handle, 'B3'), { error: ErrorCode.LIST_FULL });
      assert.ok('ok' in (await alice.user.add('FL', a.b3.handle, 'B3')));
    });
  }

  test("8.2: the contact's RL full refuses the adder's ADD FL → 210, nothing changes on either side", async () => {
    const a = await w.accounts({ star: 'Star', f1: 'F1', f2: 'F2', late: 'Late' });
    for (const fan of [a.f1, a.f2]) await (await w.signIn(fan, small)).user.add('FL', a.star.handle, 'Star');
    const late = await w.signIn(a.late, small);
    const versions = await w.versions(a.late, a.star);
    assert.deepEqual(await late.user.add('FL', a.star.handle, 'Star'), { error: ErrorCode.LIST_FULL });
    assert.equal(await w.record(a.late, a.star), undefined);
    assert.equal(await w.record(a.star, a.late), undefined);
    assert.deepEqual(await w.versions(a.late, a.star), versions);
  });

  test('9.8: on full lists, 215 (check 7) and 219 (check 8) come before 210 (check 9)', async () => {
    const a = await w.accounts({ alice: 'Alice', b1: 'B1', b2: 'B2', c1: 'C1', c2: 'C2' });
    const alice = await w.signIn(a.alice, small);
    for (const b of [a.b1, a.b2]) await alice.user.add('AL', b.handle, 'B');
    for (const c of [a.c1, a.c2]) await alice.user.add('BL', c.handle, 'C');
    assert.deepEqual(await alice.user.add('AL', a.b1.handle, 'B'), { error: ErrorCode.ALREADY_THERE });
    assert.deepEqual(await alice.user.add('BL', a.b1.handle, 'B'), { error: ErrorCode.ALREADY_IN_OPPOSITE_LIST });
    assert.deepEqual(await alice.user.add('AL', a.c1.handle, 'C'), { error: ErrorCode.ALREADY_IN_OPPOSITE_LIST });
  });

  test('8.2: a removed entry frees its place', async () => {
    const a = await w.accounts({ alice: 'Alice', b1: 'B1', b2: 'B2', b3: 'B3' });
    const alice = await w.signIn(a.alice, small);
    await alice.user.add('FL', a.b1.handle, 'B1');
    await alice.user.add('FL', a.b2.handle, 'B2');
    await alice.user.remove('FL', a.b1.handle);
    assert.ok('ok' in (await alice.user.add('FL', a.b3.handle, 'B3')));
  });
});
