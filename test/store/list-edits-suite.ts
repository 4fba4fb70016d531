// ADD and REM of a contact as the store runs them (src/core/list-edits.ts; on PostgreSQL the
// server-side functions of src/store/pg-list-edits.ts): every check in its order, every write,
// the RL mirror. Called from the shared store suite, so both engines give the same results.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContactAdd, ContactRemove } from '../../src/core/list-edits.ts';
import type { Store } from '../../src/core/store.ts';
import type { Account, ListMembership } from '../../src/core/types.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

type WithStore = (fn: (store: Store) => Promise<void>) => Promise<void>;
type MakeAccount = (store: Store, handle: string) => Promise<Account>;

const NONE: ListMembership = { FL: false, AL: false, BL: false, RL: false };
const LIMITS = { forwardList: 150, otherLists: 1000 };

function lists(...names: (keyof ListMembership)[]): ListMembership {
  return { ...NONE, ...Object.fromEntries(names.map((name) => [name, true])) };
}

export function defineListEditTests(withStore: WithStore, account: MakeAccount): void {
  async function pair(store: Store) {
    const a = await account(store, 'a@example.com');
    const b = await account(store, 'b@example.com');
    const add = (req: Partial<ContactAdd> & Pick<ContactAdd, 'list'>) =>
      store.addContact({ ownerId: a.id, adderName: 'Ann', handle: 'B@Example.com', name: 'Bee', limits: LIMITS, ...req });
    const remove = (req: Partial<ContactRemove> & Pick<ContactRemove, 'list'>) =>
      store.removeContact({ ownerId: a.id, handle: 'b@example.com', ...req });
    const records = (owner: Account) => store.read((tx) => tx.contacts(owner.id));
    const version = async (owner: Account) => (await store.findAccount(owner.handle))!.listVersion;
    return { a, b, add, remove, records, version };
  }

  describe('list edits (ADD, REM)', () => {
    test('ADD FL: the record in group 0, both versions bumped, the RL mirror named after the adder, what the adder is to the contact', () =>
      withStore(async (store) => {
        const { a, b, add, records, version } = await pair(store);
        const added = await add({ list: 'FL' });
        assert.deepEqual(added, {
          ok: true,
          version: 2,
          contact: { id: b.id, handle: 'b@example.com', phones: b.phones },
          entry: { contactId: b.id, handle: 'b@example.com', name: 'Bee', lists: lists('FL'), groups: [0] },
          ownerRecord: lists('FL'),
          membershipOnly: false,
          reverse: 2,
          facts: { blp: 'AL', viewerOnAL: false, viewerOnBL: false },
        });
        assert.deepEqual(await records(b), [{ contactId: a.id, handle: 'a@example.com', name: 'Ann', lists: lists('RL'), groups: [] }]);
        assert.equal(await version(a), 2);
        assert.equal(await version(b), 2);
      }));

    test('ADD FL where the contact has a record of the adder keeps its name and groups; the facts come from it', () =>
      withStore(async (store) => {
        const { a, b, add, records } = await pair(store);
        await store.transaction((tx) => tx.saveContact(b.id, a.id, { name: 'Mine', lists: lists('FL', 'BL'), groups: [0] }));
        const added = await add({ list: 'FL' });
        assert.ok('ok' in added);
        assert.deepEqual(added.facts, { blp: 'AL', viewerOnAL: false, viewerOnBL: true });
        assert.deepEqual(await records(b), [
          { contactId: a.id, handle: 'a@example.com', name: 'Mine', lists: lists('FL', 'BL', 'RL'), groups: [0] },
        ]);
      }));

    test('ADD AL of an FL contact keeps its groups; no mirror, no facts', () =>
      withStore(async (store) => {
        const { a, b, add, version } = await pair(store);
        await store.transaction(async (tx) => {
          await tx.saveGroup(a.id, { id: 3, name: 'Three' });
          await tx.saveContact(a.id, b.id, { name: 'Old', lists: lists('FL'), groups: [0, 3] });
        });
        const added = await add({ list: 'AL', name: 'New' });
        assert.deepEqual(added, {
          ok: true,
          version: 2,
          contact: { id: b.id, handle: 'b@example.com', phones: b.phones },
          entry: { contactId: b.id, handle: 'b@example.com', name: 'New', lists: lists('FL', 'AL'), groups: [0, 3] },
          ownerRecord: lists('FL', 'AL'),
          membershipOnly: false,
        });
        assert.equal(await version(b), 1);
      }));

    test('ADD FL to a group: a new contact goes in it; one already on FL only joins it (membershipOnly)', () =>
      withStore(async (store) => {
        const { a, b, add, records, version } = await pair(store);
        await store.transaction(async (tx) => {
          await tx.saveGroup(a.id, { id: 5, name: 'Five' });
          await tx.saveGroup(a.id, { id: 2, name: 'Two' });
        });
        const first = await add({ list: 'FL', group: 5 });
        assert.ok('ok' in first);
        assert.deepEqual(first.entry.groups, [5]);
        const joined = await add({ list: 'FL', group: 2, name: 'Renamed' });
        assert.deepEqual(joined, {
          ok: true,
          version: 3,
          contact: { id: b.id, handle: 'b@example.com', phones: b.phones },
          entry: { contactId: b.id, handle: 'b@example.com', name: 'Renamed', lists: lists('FL'), groups: [2, 5] },
          ownerRecord: lists('FL'),
          membershipOnly: true,
        });
        assert.equal(await version(b), 2, 'joining a group does not touch the mirror');
        assert.deepEqual((await records(a))[0]?.groups, [2, 5]);
        assert.deepEqual(await add({ list: 'FL', group: 5 }), { error: ErrorCode.ALREADY_THERE });
      }));

    test('ADD refusals, in the order of MSNP5.md 9.8, change nothing', () =>
      withStore(async (store) => {
        const { a, b, add, records, version } = await pair(store);
        assert.deepEqual(await add({ list: 'FL', handle: 'nobody@example.com' }), { error: ErrorCode.INVALID_USER });
        assert.deepEqual(await add({ list: 'FL', handle: 'nobody@example.com', group: 9 }), { error: ErrorCode.INVALID_USER });
        assert.deepEqual(await add({ list: 'FL', group: 9 }), { error: ErrorCode.INVALID_GROUP });
        await store.transaction((tx) => tx.saveContact(a.id, b.id, { name: 'B', lists: lists('BL'), groups: [] }));
        assert.deepEqual(await add({ list: 'BL' }), { error: ErrorCode.ALREADY_THERE });
        assert.deepEqual(await add({ list: 'AL' }), { error: ErrorCode.ALREADY_IN_OPPOSITE_LIST });
        assert.deepEqual(await add({ list: 'FL', limits: { forwardList: 0, otherLists: 1000 } }), { error: ErrorCode.LIST_FULL });
        assert.deepEqual(await add({ list: 'FL', limits: { forwardList: 150, otherLists: 0 } }), { error: ErrorCode.LIST_FULL });
        assert.deepEqual(await records(a), [{ contactId: b.id, handle: 'b@example.com', name: 'B', lists: lists('BL'), groups: [] }]);
        assert.deepEqual(await records(b), []);
        assert.equal(await version(a), 1);
        assert.equal(await version(b), 1);
      }));

    test('REM FL: the record goes, and the RL mirror with it; both versions bumped', () =>
      withStore(async (store) => {
        const { a, b, add, remove, records, version } = await pair(store);
        await add({ list: 'FL' });
        const removed = await remove({ list: 'FL', handle: 'B@EXAMPLE.COM' });
        assert.deepEqual(removed, {
          ok: true,
          version: 3,
          entry: { contactId: b.id, handle: 'b@example.com', name: 'Bee', lists: NONE, groups: [] },
          membershipOnly: false,
          reverse: 3,
        });
        assert.deepEqual(await records(a), []);
        assert.deepEqual(await records(b), []);
        assert.equal(await version(b), 3);
      }));

    test('REM FL without a mirror bumps only the owner; REM AL keeps the rest of the record', () =>
      withStore(async (store) => {
        const { a, b, remove, records, version } = await pair(store);
        await store.transaction((tx) => tx.saveContact(a.id, b.id, { name: 'B', lists: lists('FL', 'AL', 'RL'), groups: [0] }));
        assert.deepEqual(await remove({ list: 'AL' }), {
          ok: true,
          version: 2,
          entry: { contactId: b.id, handle: 'b@example.com', name: 'B', lists: lists('FL', 'RL'), groups: [0] },
          membershipOnly: false,
        });
        assert.deepEqual(await remove({ list: 'FL' }), {
          ok: true,
          version: 3,
          entry: { contactId: b.id, handle: 'b@example.com', name: 'B', lists: lists('RL'), groups: [] },
          membershipOnly: false,
        });
        assert.deepEqual(await records(a), [{ contactId: b.id, handle: 'b@example.com', name: 'B', lists: lists('RL'), groups: [] }]);
        assert.equal(await version(b), 1);
      }));

    test('REM FL of a group: only that membership; the last one leaves the contact in group 0', () =>
      withStore(async (store) => {
        const { a, b, remove, version } = await pair(store);
        await store.transaction(async (tx) => {
          await tx.saveGroup(a.id, { id: 4, name: 'Four' });
          await tx.saveGroup(a.id, { id: 6, name: 'Six' });
          await tx.saveContact(a.id, b.id, { name: 'B', lists: lists('FL'), groups: [4, 6] });
        });
        const left = await remove({ list: 'FL', group: 6 });
        assert.deepEqual(left, {
          ok: true,
          version: 2,
          entry: { contactId: b.id, handle: 'b@example.com', name: 'B', lists: lists('FL'), groups: [4] },
          membershipOnly: true,
        });
        const last = await remove({ list: 'FL', group: 4 });
        assert.ok('ok' in last);
        assert.deepEqual(last.entry.groups, [0]);
        assert.equal(await version(b), 1);
      }));

    test('REM refusals, in the order of MSNP5.md 9.9, change nothing', () =>
      withStore(async (store) => {
        const { a, b, remove, records, version } = await pair(store);
        assert.deepEqual(await remove({ list: 'FL', handle: 'nobody@example.com' }), { error: ErrorCode.NOT_ON_LIST });
        assert.deepEqual(await remove({ list: 'FL' }), { error: ErrorCode.NOT_ON_LIST });
        await store.transaction(async (tx) => {
          await tx.saveGroup(a.id, { id: 4, name: 'Four' });
          await tx.saveContact(a.id, b.id, { name: 'B', lists: lists('FL'), groups: [0] });
        });
        assert.deepEqual(await remove({ list: 'AL' }), { error: ErrorCode.NOT_ON_LIST });
        assert.deepEqual(await remove({ list: 'AL', group: 9 }), { error: ErrorCode.NOT_ON_LIST });
        assert.deepEqual(await remove({ list: 'FL', group: 9 }), { error: ErrorCode.INVALID_GROUP });
        assert.deepEqual(await remove({ list: 'FL', group: 4 }), { error: ErrorCode.NOT_IN_GROUP });
        assert.deepEqual(await records(a), [{ contactId: b.id, handle: 'b@example.com', name: 'B', lists: lists('FL'), groups: [0] }]);
        assert.equal(await version(a), 1);
      }));

    test('changes asked for at once (one group commit) are answered as if made one after another; a refusal among them changes nothing', () =>
      withStore(async (store) => {
        const { a, b, records, version } = await pair(store);
        const c = await account(store, 'c@example.com');
        const from = (owner: Account, adderName: string) => ({ ownerId: owner.id, adderName, name: 'N', limits: LIMITS });
        const [ab, ba, cNobody, ac, ca] = await Promise.all([
          store.addContact({ ...from(a, 'Ann'), list: 'FL', handle: 'b@example.com' }),
          store.addContact({ ...from(b, 'Bob'), list: 'FL', handle: 'a@example.com' }),
          store.addContact({ ...from(c, 'Cy'), list: 'FL', handle: 'nobody@example.com' }),
          store.addContact({ ...from(a, 'Ann'), list: 'BL', handle: 'c@example.com' }),
          store.removeContact({ ownerId: c.id, list: 'FL', handle: 'a@example.com' }),
        ]);
        assert.ok(ab && 'ok' in ab && ba && 'ok' in ba && ac && 'ok' in ac);
        assert.deepEqual([ab.version, ab.reverse, ab.facts], [2, 2, { blp: 'AL', viewerOnAL: false, viewerOnBL: false }]);
        assert.deepEqual([ba.version, ba.reverse, ba.entry.lists], [3, 3, lists('FL', 'RL')]);
        assert.deepEqual([ac.version, ac.reverse, ac.entry.lists], [4, undefined, lists('BL')]);
        assert.deepEqual(cNobody, { error: ErrorCode.INVALID_USER });
        assert.deepEqual(ca, { error: ErrorCode.NOT_ON_LIST });
        assert.deepEqual(
          (await records(a)).map((r) => [r.handle, r.lists]),
          [
            ['b@example.com', lists('FL', 'RL')],
            ['c@example.com', lists('BL')],
          ],
        );
        assert.deepEqual([await version(a), await version(b), await version(c)], [4, 3, 1]);
      }));

    test('concurrent ADD and REM of the same pair from both sides leave consistent mirrors', () =>
      withStore(async (store) => {
        const { a, b, records } = await pair(store);
        const ab = { ownerId: a.id, adderName: 'Ann', handle: 'b@example.com', name: 'Bee', limits: LIMITS, list: 'FL' } as const;
        const ba = { ownerId: b.id, adderName: 'Bob', handle: 'a@example.com', name: 'Ay', limits: LIMITS, list: 'FL' } as const;
        for (let round = 0; round < 5; round++) {
          await Promise.all([store.addContact(ab), store.addContact(ba)]);
          assert.deepEqual((await records(a))[0]?.lists, lists('FL', 'RL'));
          assert.deepEqual((await records(b))[0]?.lists, lists('FL', 'RL'));
          await Promise.all([store.removeContact(ab), store.removeContact(ba)]);
          assert.deepEqual(await records(a), []);
          assert.deepEqual(await records(b), []);
        }
      }));
  });
}
