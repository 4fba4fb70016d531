// MSNP7 contact groups (MSNP5.md 9.29, 9.8, 9.9, D-11): the pure rules of core/groups.ts, and
// UserSession's ADG/REG/RMG and group parameters of ADD/REM on a real store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Failure, Outcome } from '../../src/core/failure.ts';
import { nextGroupId, withGroup, withoutGroup } from '../../src/core/groups.ts';
import { DEFAULT_GROUP_NAME, MAX_GROUPS } from '../../src/core/types.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { World } from './world.ts';

const named = (...ids: number[]) => ids.map((id) => ({ id, name: `g${id}` }));

/** What a group command reports: its version and new group id, or its error. */
function reported(result: Outcome<{ version: number; groupId?: number }>): { version: number; groupId?: number } | Failure {
  if (!('ok' in result)) return result;
  return { version: result.version, ...(result.groupId !== undefined && { groupId: result.groupId }) };
}

describe('group ids and memberships (MSNP5.md 9.29)', () => {
  test('9.29: a new group gets the lowest unused id from 1; none when all 30 exist', () => {
    assert.equal(nextGroupId(named(0)), 1);
    assert.equal(nextGroupId(named(0, 1, 2, 4)), 3);
    assert.equal(nextGroupId(named(0, ...Array.from({ length: 28 }, (_, i) => i + 1))), 29);
    assert.equal(nextGroupId(named(...Array.from({ length: MAX_GROUPS }, (_, i) => i))), undefined);
  });

  test('9.29: memberships stay ascending and unique', () => {
    assert.deepEqual(withGroup([0, 5], 3), [0, 3, 5]);
    assert.deepEqual(withGroup([3], 3), [3]);
  });

  test('9.9, D-11: leaving the last group leaves the contact in group 0', () => {
    assert.deepEqual(withoutGroup([2, 5], 5), [2]);
    assert.deepEqual(withoutGroup([5], 5), [0]);
    assert.deepEqual(withoutGroup([0], 0), [0]);
  });
});

describe('ADG, REG, RMG and the group parameter (MSNP5.md 9.29)', () => {
  let w: World;
  before(async () => {
    w = await World.open();
  });
  after(() => w.close());

  test('9.29: a new account has group 0 only; ADG returns ids 1, 2, …', async () => {
    const a = await w.accounts({ o: 'O' });
    const { user } = await w.signIn(a.o);
    assert.deepEqual(await user.groups(), { version: 1, groups: [{ id: 0, name: DEFAULT_GROUP_NAME }] });
    assert.deepEqual(reported(await user.addGroup('Friends')), { groupId: 1, version: 2 });
    assert.deepEqual(reported(await user.addGroup('Work')), { groupId: 2, version: 3 });
    assert.deepEqual(
      (await user.groups()).groups.map((g) => g.name),
      [DEFAULT_GROUP_NAME, 'Friends', 'Work'],
    );
  });

  test('9.29: the 30th group is the last → 223 for one more, nothing changes; a removed id is reused', async () => {
    const a = await w.accounts({ o: 'O' });
    const { user } = await w.signIn(a.o);
    for (let i = 1; i < MAX_GROUPS; i++) assert.ok('ok' in (await user.addGroup(`g${i}`)));
    const version = await w.version(a.o);
    assert.deepEqual(reported(await user.addGroup('one too many')), { error: ErrorCode.TOO_MANY_GROUPS });
    assert.equal(await w.version(a.o), version);
    assert.equal((await user.groups()).groups.length, MAX_GROUPS);
    assert.ok('ok' in (await user.removeGroup(7)));
    assert.deepEqual(reported(await user.addGroup('again')), { groupId: 7, version: version + 2 });
  });

  test('9.29: RMG 0 → 230; RMG, REG of an unknown group → 224; nothing changes', async () => {
    const a = await w.accounts({ o: 'O' });
    const { user } = await w.signIn(a.o);
    assert.deepEqual(reported(await user.removeGroup(0)), { error: ErrorCode.CANNOT_REMOVE_GROUP_ZERO });
    assert.deepEqual(reported(await user.removeGroup(5)), { error: ErrorCode.INVALID_GROUP });
    assert.deepEqual(reported(await user.renameGroup(5, 'X')), { error: ErrorCode.INVALID_GROUP });
    assert.equal(await w.version(a.o), 1);
  });

  test('9.29: REG renames, group 0 too', async () => {
    const a = await w.accounts({ o: 'O' });
    const { user } = await w.signIn(a.o);
    await user.addGroup('Friends');
    assert.deepEqual(reported(await user.renameGroup(0, 'Everyone')), { version: 3 });
    assert.deepEqual(reported(await user.renameGroup(1, 'Pals')), { version: 4 });
    assert.deepEqual((await user.groups()).groups, [
      { id: 0, name: 'Everyone' },
      { id: 1, name: 'Pals' },
    ]);
  });

  test('9.29, D-11: RMG moves contacts that were only in that group to group 0; others just leave it; one bump', async () => {
    const a = await w.accounts({ o: 'O', only: 'Only', both: 'Both', other: 'Other' });
    const { user } = await w.signIn(a.o);
    await user.addGroup('Friends'); // 1
    await user.addGroup('Work'); // 2
    await user.add('FL', a.only.handle, 'Only', 1);
    await user.add('FL', a.both.handle, 'Both', 1);
    await user.add('FL', a.both.handle, 'Both', 2);
    await user.add('FL', a.other.handle, 'Other', 2);
    const version = await w.version(a.o);
    assert.deepEqual(reported(await user.removeGroup(1)), { version: version + 1 });
    assert.deepEqual((await w.record(a.o, a.only))?.groups, [0]);
    assert.deepEqual((await w.record(a.o, a.both))?.groups, [2]);
    assert.deepEqual((await w.record(a.o, a.other))?.groups, [2]);
    assert.ok((await w.record(a.o, a.only))?.lists.FL, 'still on FL (D-11)');
    assert.deepEqual(
      (await user.groups()).groups.map((g) => g.id),
      [0, 2],
    );
  });

  test('9.8: ADD FL without a group puts a new entry in group 0; with a group, in that group only', async () => {
    const a = await w.accounts({ o: 'O', x: 'X', y: 'Y' });
    const { user } = await w.signIn(a.o);
    await user.addGroup('Friends');
    await user.add('FL', a.x.handle, 'X');
    await user.add('FL', a.y.handle, 'Y', 1);
    assert.deepEqual((await w.record(a.o, a.x))?.groups, [0]);
    assert.deepEqual((await w.record(a.o, a.y))?.groups, [1]);
  });

  test('9.8 check 6: ADD FL to an unknown group → 224, before 215 and after 205', async () => {
    const a = await w.accounts({ o: 'O', x: 'X' });
    const { user } = await w.signIn(a.o);
    assert.deepEqual(await user.add('FL', 'nobody-at-all@example.com', 'N', 9), { error: ErrorCode.INVALID_USER });
    assert.deepEqual(await user.add('FL', a.x.handle, 'X', 9), { error: ErrorCode.INVALID_GROUP });
    await user.add('FL', a.x.handle, 'X');
    assert.deepEqual(await user.add('FL', a.x.handle, 'X', 9), { error: ErrorCode.INVALID_GROUP });
    assert.equal(await w.record(a.x, a.o).then((r) => r?.lists.RL), true);
  });

  test('9.8: ADD FL of an FL contact to another group only joins it: no RL change, no BPR, no ILN; same group again → 215', async () => {
    const a = await w.accounts({ o: 'O', x: 'X' });
    const O = await w.online(a.o);
    const X = await w.online(a.x);
    await O.user.addGroup('Friends');
    await O.user.add('FL', a.x.handle, 'X');
    X.endpoint.clear();
    const xVersion = await w.version(a.x);
    const joined = await O.user.add('FL', a.x.handle, 'Xavier', 1);
    assert.deepEqual(joined, { ok: true, version: await w.version(a.o), membershipOnly: true });
    assert.deepEqual(await w.record(a.o, a.x), {
      contactId: a.x.id,
      handle: a.x.handle,
      name: 'Xavier',
      lists: { FL: true, AL: false, BL: false, RL: false },
      groups: [0, 1],
    });
    assert.equal(await w.version(a.x), xVersion);
    assert.deepEqual(X.endpoint.events, []);
    assert.deepEqual(await O.user.add('FL', a.x.handle, 'X', 1), { error: ErrorCode.ALREADY_THERE });
    assert.deepEqual(await O.user.add('FL', a.x.handle, 'X'), { error: ErrorCode.ALREADY_THERE });
  });

  test('9.9: REM FL with a group leaves that group only (the last one → group 0); 225 when not in it, 224 unknown', async () => {
    const a = await w.accounts({ o: 'O', x: 'X' });
    const O = await w.signIn(a.o);
    const X = await w.signIn(a.x);
    await O.user.addGroup('Friends');
    await O.user.add('FL', a.x.handle, 'X', 1);
    assert.deepEqual(await O.user.remove('FL', a.x.handle, 0), { error: ErrorCode.NOT_IN_GROUP });
    assert.deepEqual(await O.user.remove('FL', a.x.handle, 9), { error: ErrorCode.INVALID_GROUP });
    X.endpoint.clear();
    assert.ok('ok' in (await O.user.remove('FL', a.x.handle, 1)));
    assert.deepEqual(await w.record(a.o, a.x).then((r) => [r?.lists.FL, r?.groups]), [true, [0]]);
    assert.equal(await w.record(a.x, a.o).then((r) => r?.lists.RL), true, 'still watched: RL unchanged');
    assert.deepEqual(X.endpoint.events, []);
  });

  test('9.9: REM FL without a group removes the contact from all its groups', async () => {
    const a = await w.accounts({ o: 'O', x: 'X' });
    const { user } = await w.signIn(a.o);
    await user.addGroup('Friends');
    await user.add('FL', a.x.handle, 'X');
    await user.add('FL', a.x.handle, 'X', 1);
    await user.add('AL', a.x.handle, 'X');
    await user.remove('FL', a.x.handle);
    assert.deepEqual(await w.record(a.o, a.x).then((r) => [r?.lists, r?.groups]), [{ FL: false, AL: true, BL: false, RL: false }, []]);
  });
});
