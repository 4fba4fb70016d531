// The one behaviour both store engines must have (MSNP5.md 8); each engine's test file runs it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccountExistsError } from '../../src/core/store.ts';
import type { ContactWrite, Store } from '../../src/core/store.ts';
import { DEFAULT_PROFILE, NO_PHONES } from '../../src/core/types.ts';
import type { Account, ListMembership } from '../../src/core/types.ts';
import { defineListEditTests } from './list-edits-suite.ts';
import { defineServiceStoreTests } from './services-suite.ts';

/** Test-only access to the rows behind a store, over a connection of its own. */
export interface RawAccess {
  setListVersion(accountId: number, version: number): Promise<void>;
  storedSecret(handle: string): Promise<string | undefined>;
  setStoredSecret(handle: string, stored: string): Promise<void>;
}

export interface OpenedStore {
  store: Store;
  raw: RawAccess;
  cleanup(): Promise<void>;
}

const NONE: ListMembership = { FL: false, AL: false, BL: false, RL: false };

function lists(...names: (keyof ListMembership)[]): ListMembership {
  return { ...NONE, ...Object.fromEntries(names.map((name) => [name, true])) };
}

function entry(name: string, membership: ListMembership, groups: number[] = []): ContactWrite {
  return { name, lists: membership, groups };
}

export function defineStoreSuite(name: string, open: () => Promise<OpenedStore>): void {
  async function withStore(fn: (store: Store, raw: RawAccess) => Promise<void>): Promise<void> {
    const { store, raw, cleanup } = await open();
    try {
      await fn(store, raw);
    } finally {
      await cleanup();
    }
  }

  function account(store: Store, handle: string, secret = 'secret123'): Promise<Account> {
    return store.createAccount({ handle, friendlyName: handle.split('@')[0] ?? handle, secret, verified: true });
  }

  async function versionOf(store: Store, handle: string): Promise<number | undefined> {
    return (await store.findAccount(handle))?.listVersion;
  }

  describe(name, () => {
    describe('accounts', () => {
      test('createAccount stores a lower-case handle with the defaults of a new account', () =>
        withStore(async (store) => {
          const before = Math.floor(Date.now() / 1000);
          const created = await store.createAccount({
            handle: 'Alice@Example.COM',
            friendlyName: 'Alice%20A',
            secret: 'pw',
            verified: false,
          });
          assert.ok(Number.isInteger(created.id) && created.id > 0);
          assert.deepEqual(
            { ...created, id: 0, createdAt: 0 },
            {
              id: 0,
              handle: 'alice@example.com',
              friendlyName: 'Alice%20A',
              listVersion: 1,
              gtc: 'A',
              blp: 'AL',
              phones: NO_PHONES,
              verified: false,
              kid: false,
              profile: { ...DEFAULT_PROFILE, preferredEmail: 'alice@example.com' },
              createdAt: 0,
              disabled: false,
              admin: false,
              sessionsEndedAt: 0,
            },
          );
          assert.ok(created.createdAt >= before && created.createdAt <= Math.floor(Date.now() / 1000));
          assert.deepEqual(await store.findAccount('alice@example.com'), created);
        }));

      test('createAccount refuses a taken handle in any case, and changes nothing', () =>
        withStore(async (store) => {
          const first = await account(store, 'bob@example.com');
          await assert.rejects(
            store.createAccount({ handle: 'BOB@example.com', friendlyName: 'x', secret: 'other', verified: false }),
            (err: unknown) => err instanceof AccountExistsError && err.message.includes('bob@example.com'),
          );
          assert.deepEqual(await store.listAccounts(), [first]);
          assert.equal(await store.secretOf('bob@example.com'), 'secret123');
        }));

      test('ids are never reused after a deletion', () =>
        withStore(async (store) => {
          const first = await account(store, 'a@example.com');
          await store.deleteAccount('a@example.com');
          const second = await account(store, 'a@example.com');
          assert.ok(second.id > first.id);
        }));

      test('findAccount ignores case; unknown handles are undefined', () =>
        withStore(async (store) => {
          const created = await account(store, 'carol@example.com');
          assert.deepEqual(await store.findAccount('CAROL@Example.com'), created);
          assert.equal(await store.findAccount('nobody@example.com'), undefined);
        }));

      test('listAccounts returns every account in id order', () =>
        withStore(async (store) => {
          assert.deepEqual(await store.listAccounts(), []);
          const created = [await account(store, 'z@example.com'), await account(store, 'a@example.com')];
          assert.deepEqual(await store.listAccounts(), created);
        }));

      test('accountById, accountByHandle and accountsByIds', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          const b = await account(store, 'b@example.com');
          await store.transaction(async (tx) => {
            assert.deepEqual(await tx.accountById(a.id), a);
            assert.equal(await tx.accountById(b.id + 100), undefined);
            assert.deepEqual(await tx.accountByHandle('B@EXAMPLE.COM'), b);
            assert.equal(await tx.accountByHandle('c@example.com'), undefined);
            assert.deepEqual(
              await tx.accountsByIds([b.id, a.id, b.id + 100]),
              new Map([
                [a.id, a],
                [b.id, b],
              ]),
            );
            assert.deepEqual(await tx.accountsByIds([]), new Map());
          });
        }));

      test('updateAccount changes exactly the given fields and not the list version', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          const other = await account(store, 'other@example.com');
          await store.transaction(async (tx) => {
            await tx.updateAccount(a.id, {
              friendlyName: 'New%20Name',
              gtc: 'N',
              blp: 'BL',
              verified: false,
              kid: true,
              phones: { PHH: '1%20555', MOB: 'Y' },
              profile: { country: 'US', langPreference: 1031 },
            });
          });
          assert.deepEqual(await store.findAccount(a.handle), {
            ...a,
            friendlyName: 'New%20Name',
            gtc: 'N',
            blp: 'BL',
            verified: false,
            kid: true,
            phones: { ...a.phones, PHH: '1%20555', MOB: 'Y' },
            profile: { ...a.profile, country: 'US', langPreference: 1031 },
          });
          await store.transaction(async (tx) => {
            await tx.updateAccount(a.id, { phones: { PHW: '2' }, profile: {} });
            await tx.updateAccount(a.id, {});
          });
          const updated = await store.findAccount(a.handle);
          assert.deepEqual(updated?.phones, { ...NO_PHONES, PHH: '1%20555', PHW: '2', MOB: 'Y' });
          assert.equal(updated?.listVersion, 1);
          assert.deepEqual(await store.findAccount(other.handle), other);
        }));

      test('updateAccount of an unknown id changes nothing', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          await store.transaction((tx) => tx.updateAccount(a.id + 100, { friendlyName: 'x' }));
          assert.deepEqual(await store.listAccounts(), [a]);
        }));
    });

    describe('list version', () => {
      test('bumpVersion adds one and returns the new value', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          const b = await account(store, 'b@example.com');
          const seen = await store.transaction(async (tx) => [await tx.bumpVersion(a.id), await tx.bumpVersion(a.id)]);
          assert.deepEqual(seen, [2, 3]);
          assert.equal(await versionOf(store, a.handle), 3);
          assert.equal(await versionOf(store, b.handle), 1);
        }));

      test('after 4294967295 comes 1', () =>
        withStore(async (store, raw) => {
          const a = await account(store, 'a@example.com');
          await raw.setListVersion(a.id, 4294967294);
          const seen = await store.transaction(async (tx) => [
            await tx.bumpVersion(a.id),
            await tx.bumpVersion(a.id),
            await tx.bumpVersion(a.id),
          ]);
          assert.deepEqual(seen, [4294967295, 1, 2]);
          assert.equal(await versionOf(store, a.handle), 2);
        }));

      test('bumpVersion of an unknown id throws', () =>
        withStore(async (store) => {
          await assert.rejects(
            store.transaction((tx) => tx.bumpVersion(12345)),
            /no account with id 12345/,
          );
        }));
    });

    describe('contacts', () => {
      test('saveContact creates, replaces and keeps creation order', () =>
        withStore(async (store) => {
          const owner = await account(store, 'owner@example.com');
          const [x, y, z] = [
            await account(store, 'x@example.com'),
            await account(store, 'y@example.com'),
            await account(store, 'z@example.com'),
          ] as const;
          await store.transaction(async (tx) => {
            await tx.saveContact(owner.id, z.id, entry('Zed', lists('FL')));
            await tx.saveContact(owner.id, x.id, entry('Ex', lists('FL', 'RL'), [0, 3]));
            await tx.saveContact(owner.id, y.id, entry('Why', lists('BL')));
            await tx.saveContact(owner.id, z.id, entry('Zed%20Two', lists('FL', 'AL'), [5]));
          });
          const records = await store.transaction((tx) => tx.contacts(owner.id));
          assert.deepEqual(records, [
            { contactId: z.id, handle: 'z@example.com', name: 'Zed%20Two', lists: lists('FL', 'AL'), groups: [5] },
            { contactId: x.id, handle: 'x@example.com', name: 'Ex', lists: lists('FL', 'RL'), groups: [0, 3] },
            { contactId: y.id, handle: 'y@example.com', name: 'Why', lists: lists('BL'), groups: [] },
          ]);
        }));

      test('an FL record without groups is in group 0; records off FL have no groups (MSNP5.md 9.29)', () =>
        withStore(async (store) => {
          const owner = await account(store, 'owner@example.com');
          const x = await account(store, 'x@example.com');
          await store.transaction((tx) => tx.saveContact(owner.id, x.id, entry('X', lists('FL', 'AL'))));
          assert.deepEqual((await store.transaction((tx) => tx.contact(owner.id, x.id)))?.groups, [0]);
          await store.transaction((tx) => tx.saveContact(owner.id, x.id, entry('X', lists('AL'), [0, 4])));
          assert.deepEqual((await store.transaction((tx) => tx.contact(owner.id, x.id)))?.groups, []);
        }));

      test('a record on no list is deleted; saved again, it comes last', () =>
        withStore(async (store) => {
          const owner = await account(store, 'owner@example.com');
          const x = await account(store, 'x@example.com');
          const y = await account(store, 'y@example.com');
          await store.transaction(async (tx) => {
            await tx.saveContact(owner.id, x.id, entry('X', lists('FL')));
            await tx.saveContact(owner.id, y.id, entry('Y', lists('FL')));
            await tx.saveContact(owner.id, x.id, entry('X', NONE));
            assert.equal(await tx.contact(owner.id, x.id), undefined);
            assert.deepEqual(
              (await tx.contacts(owner.id)).map((c) => c.handle),
              ['y@example.com'],
            );
            await tx.saveContact(owner.id, x.id, entry('X', lists('RL')));
            assert.deepEqual(
              (await tx.contacts(owner.id)).map((c) => c.handle),
              ['y@example.com', 'x@example.com'],
            );
            await tx.saveContact(owner.id, y.id + 100, entry('ghost', NONE));
          });
        }));

      test('contact returns one record with the handle; records are per owner', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          const b = await account(store, 'b@example.com');
          await store.transaction(async (tx) => {
            await tx.saveContact(a.id, b.id, entry('Bee', lists('FL')));
            await tx.saveContact(b.id, a.id, entry('Ay', lists('RL')));
          });
          await store.transaction(async (tx) => {
            assert.deepEqual(await tx.contact(a.id, b.id), {
              contactId: b.id,
              handle: 'b@example.com',
              name: 'Bee',
              lists: lists('FL'),
              groups: [0],
            });
            assert.deepEqual(await tx.contact(b.id, a.id), {
              contactId: a.id,
              handle: 'a@example.com',
              name: 'Ay',
              lists: lists('RL'),
              groups: [],
            });
            assert.equal(await tx.contact(a.id, a.id), undefined);
            assert.deepEqual(await tx.contacts(b.id + 100), []);
          });
        }));

      test('countList counts the records on one list', () =>
        withStore(async (store) => {
          const owner = await account(store, 'owner@example.com');
          const others = await Promise.all(['p', 'q', 'r'].map((h) => account(store, `${h}@example.com`)));
          await store.transaction(async (tx) => {
            await tx.saveContact(owner.id, others[0]!.id, entry('p', lists('FL', 'AL')));
            await tx.saveContact(owner.id, others[1]!.id, entry('q', lists('FL', 'RL')));
            await tx.saveContact(owner.id, others[2]!.id, entry('r', lists('BL')));
            await tx.saveContact(others[0]!.id, owner.id, entry('o', lists('FL')));
            const counts = await Promise.all((['FL', 'AL', 'BL', 'RL'] as const).map((l) => tx.countList(owner.id, l)));
            assert.deepEqual(counts, [2, 1, 1, 1]);
          });
        }));

      test('saving a record of an unknown account fails', () =>
        withStore(async (store) => {
          const owner = await account(store, 'owner@example.com');
          await assert.rejects(store.transaction((tx) => tx.saveContact(owner.id, owner.id + 100, entry('x', lists('FL')))));
        }));
    });

    describe('credentialsOf', () => {
      test('gives the account and its decrypted secret, case-insensitively; nothing for an unknown handle', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com', 'pässwörd');
          assert.deepEqual(await store.credentialsOf('A@Example.com'), { account: a, secret: 'pässwörd' });
          assert.equal(await store.credentialsOf('nobody@example.com'), undefined);
        }));
    });

    describe('mailboxes', () => {
      test('setMailbox stores and replaces the unread counts; they go with the account', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          assert.equal(await store.mailbox(a.id), undefined);
          await store.setMailbox(a.id, { inboxUnread: 2, foldersUnread: 0 });
          await store.setMailbox(a.id, { inboxUnread: 7, foldersUnread: 1 });
          assert.deepEqual(await store.mailbox(a.id), { inboxUnread: 7, foldersUnread: 1 });
          await assert.rejects(store.setMailbox(a.id, { inboxUnread: -1, foldersUnread: 0 }));
          await store.deleteAccount('a@example.com');
          assert.equal(await store.mailbox(a.id), undefined);
        }));
    });

    describe('groups (MSNP7)', () => {
      test('a new account has group 0, Other Contacts', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          assert.deepEqual(await store.transaction((tx) => tx.groups(a.id)), [{ id: 0, name: 'Other%20Contacts' }]);
        }));

      test('saveGroup creates and renames, deleteGroup removes; groups come by id and per owner', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          const b = await account(store, 'b@example.com');
          await store.transaction(async (tx) => {
            await tx.saveGroup(a.id, { id: 7, name: 'Seven' });
            await tx.saveGroup(a.id, { id: 2, name: 'Two' });
            await tx.saveGroup(a.id, { id: 7, name: 'Sept' });
            await tx.deleteGroup(a.id, 2);
            await tx.deleteGroup(b.id, 0);
          });
          const groups = (id: number) => store.transaction((tx) => tx.groups(id));
          assert.deepEqual(await groups(a.id), [
            { id: 0, name: 'Other%20Contacts' },
            { id: 7, name: 'Sept' },
          ]);
          assert.deepEqual(await groups(b.id), []);
        }));

      test('group ids outside 0–29 are refused by the schema', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          await assert.rejects(store.transaction((tx) => tx.saveGroup(a.id, { id: 30, name: 'x' })));
          await assert.rejects(store.transaction((tx) => tx.saveGroup(a.id, { id: -1, name: 'x' })));
        }));

      test('groups go with their account', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          await store.transaction((tx) => tx.saveGroup(a.id, { id: 1, name: 'One' }));
          assert.equal(await store.deleteAccount('a@example.com'), true);
          assert.deepEqual(await store.transaction((tx) => tx.groups(a.id)), []);
        }));
    });

    describe('privacyTowards', () => {
      test("gives each owner's BLP and whether the viewer is on its AL or BL", () =>
        withStore(async (store) => {
          const viewer = await account(store, 'viewer@example.com');
          const allows = await account(store, 'allows@example.com');
          const blocks = await account(store, 'blocks@example.com');
          const stranger = await account(store, 'stranger@example.com');
          const friend = await account(store, 'friend@example.com');
          await store.transaction(async (tx) => {
            await tx.updateAccount(allows.id, { blp: 'BL' });
            await tx.saveContact(allows.id, viewer.id, entry('v', lists('AL', 'RL')));
            await tx.saveContact(blocks.id, viewer.id, entry('v', lists('BL')));
            await tx.saveContact(friend.id, viewer.id, entry('v', lists('FL')));
            await tx.saveContact(stranger.id, allows.id, entry('someone else', lists('BL')));
          });
          const facts = await store.transaction((tx) => tx.privacyTowards(viewer.id, [allows.id, blocks.id, stranger.id, friend.id, 9999]));
          assert.deepEqual(
            facts,
            new Map([
              [allows.id, { blp: 'BL', viewerOnAL: true, viewerOnBL: false }],
              [blocks.id, { blp: 'AL', viewerOnAL: false, viewerOnBL: true }],
              [stranger.id, { blp: 'AL', viewerOnAL: false, viewerOnBL: false }],
              [friend.id, { blp: 'AL', viewerOnAL: false, viewerOnBL: false }],
            ]),
          );
          assert.deepEqual(await store.transaction((tx) => tx.privacyTowards(viewer.id, [])), new Map());
        }));

      test("watchers: the RL records with the owner's AL/BL bits, nobody else", () =>
        withStore(async (store) => {
          const owner = await account(store, 'owner@example.com');
          const [a, b, c] = [
            await account(store, 'a@example.com'),
            await account(store, 'b@example.com'),
            await account(store, 'c@example.com'),
          ];
          await store.transaction(async (tx) => {
            await tx.saveContact(owner.id, a.id, entry('a', lists('RL', 'AL')));
            await tx.saveContact(owner.id, b.id, entry('b', lists('RL', 'BL', 'FL')));
            await tx.saveContact(owner.id, c.id, entry('c', lists('FL', 'AL')));
          });
          const watchers = await store.read((tx) => tx.watchers(owner.id));
          assert.deepEqual(
            watchers.sort((x, y) => x.handle.localeCompare(y.handle)),
            [
              { handle: 'a@example.com', onAL: true, onBL: false },
              { handle: 'b@example.com', onAL: false, onBL: true },
            ],
          );
          assert.deepEqual(await store.read((tx) => tx.watchers(c.id)), []);
        }));

      test("contactsWithFacts: every record, in order, with the contact's phones and what the owner is to it", () =>
        withStore(async (store) => {
          const owner = await account(store, 'owner@example.com');
          const friend = await account(store, 'friend@example.com');
          const blocked = await account(store, 'blocked@example.com');
          await store.transaction(async (tx) => {
            await tx.updateAccount(friend.id, { blp: 'BL', phones: { PHM: '555', MOB: 'Y' } });
            await tx.saveContact(owner.id, friend.id, entry('f', lists('FL', 'AL'), [0, 2]));
            await tx.saveContact(owner.id, blocked.id, entry('b', lists('BL')));
            await tx.saveContact(friend.id, owner.id, entry('o', lists('AL', 'RL')));
          });
          const records = await store.read((tx) => tx.contactsWithFacts(owner.id));
          assert.deepEqual(records, [
            {
              contactId: friend.id,
              handle: 'friend@example.com',
              name: 'f',
              lists: lists('FL', 'AL'),
              groups: [0, 2],
              phones: { PHH: '', PHW: '', PHM: '555', MOB: 'Y', MBE: 'N' },
              facts: { blp: 'BL', viewerOnAL: true, viewerOnBL: false },
            },
            {
              contactId: blocked.id,
              handle: 'blocked@example.com',
              name: 'b',
              lists: lists('BL'),
              groups: [],
              phones: { PHH: '', PHW: '', PHM: '', MOB: 'N', MBE: 'N' },
              facts: { blp: 'AL', viewerOnAL: false, viewerOnBL: false },
            },
          ]);
          const plain = await store.read((tx) => tx.contacts(owner.id));
          assert.deepEqual(
            records.map(({ phones: _p, facts: _f, ...entry }) => entry),
            plain,
          );
        }));

      test('contactsWithFacts: a name JSON escapes comes back as it was saved; an owner without contacts has none', () =>
        withStore(async (store) => {
          const owner = await account(store, 'owner@example.com');
          const friend = await account(store, 'friend@example.com');
          const name = 'quote" back\\slash\ttab %20 \u00e9\u4e2d\ud83d\ude00 </end>';
          await store.transaction((tx) => tx.saveContact(owner.id, friend.id, entry(name, lists('FL'))));
          const [record] = await store.read((tx) => tx.contactsWithFacts(owner.id));
          assert.equal(record?.name, name);
          assert.deepEqual(await store.read((tx) => tx.contactsWithFacts(friend.id)), []);
        }));

      test('listsAtOnce (PostgreSQL only): the account, contactsWithFacts and groups as a snapshot reads them; undefined for no account', () =>
        withStore(async (store) => {
          if (store.kind === 'sqlite') {
            assert.equal(store.listsAtOnce, undefined);
            return;
          }
          const listsAtOnce = store.listsAtOnce!;
          // Names with what JSON escapes, and a contact whose own record of the owner is missing.
          const owner = await store.createAccount({
            handle: 'owner@example.com',
            friendlyName: 'O\\w"n%20é😀',
            secret: 's',
            verified: true,
          });
          const friend = await account(store, 'friend@example.com');
          const stranger = await account(store, 'stranger@example.com');
          const alone = await account(store, 'alone@example.com');
          await store.transaction(async (tx) => {
            await tx.updateAccount(owner.id, { blp: 'BL', gtc: 'N', phones: { PHH: '1%20(555)', MBE: 'Y' } });
            await tx.updateAccount(friend.id, { phones: { PHM: '555', MOB: 'Y' } });
            await tx.saveGroup(owner.id, { id: 3, name: 'Tab\there "q"' });
            await tx.saveContact(owner.id, friend.id, entry('f\\"\u00e9', lists('FL', 'AL', 'RL'), [0, 3]));
            await tx.saveContact(owner.id, stranger.id, entry('s', lists('BL')));
            await tx.saveContact(friend.id, owner.id, entry('o', lists('FL', 'AL', 'RL')));
            await tx.bumpVersion(owner.id);
          });
          const expected = await store.transaction(async (tx) => ({
            account: await tx.accountById(owner.id),
            contacts: await tx.contactsWithFacts(owner.id),
            groups: await tx.groups(owner.id),
          }));
          assert.equal(expected.contacts.length, 2);
          assert.deepEqual(await listsAtOnce(owner.id), expected);
          assert.deepEqual(await listsAtOnce(alone.id), {
            account: await store.read((tx) => tx.accountById(alone.id)),
            contacts: [],
            groups: [{ id: 0, name: 'Other%20Contacts' }],
          });
          assert.equal(await listsAtOnce(alone.id + 1000), undefined);
        }));

      test('contactsWithFacts of FL contacts: phones and what the owner is to each contact', () =>
        withStore(async (store) => {
          const owner = await account(store, 'owner@example.com');
          const allows = await account(store, 'allows@example.com');
          const blocks = await account(store, 'blocks@example.com');
          const onlyAl = await account(store, 'only-al@example.com');
          await store.transaction(async (tx) => {
            await tx.updateAccount(allows.id, { blp: 'BL', phones: { PHH: '555', MOB: 'Y' } });
            await tx.saveContact(owner.id, allows.id, entry('a', lists('FL')));
            await tx.saveContact(owner.id, blocks.id, entry('b', lists('FL', 'AL')));
            await tx.saveContact(owner.id, onlyAl.id, entry('c', lists('AL')));
            await tx.saveContact(allows.id, owner.id, entry('o', lists('AL', 'RL')));
            await tx.saveContact(blocks.id, owner.id, entry('o', lists('BL', 'RL')));
          });
          const forwardOf = async (id: number) =>
            (await store.read((tx) => tx.contactsWithFacts(id)))
              .filter((c) => c.lists.FL)
              .map(({ contactId, handle, phones, facts }) => ({ contactId, handle, phones, facts }));
          const forward = await forwardOf(owner.id);
          assert.deepEqual(
            forward.sort((x, y) => x.contactId - y.contactId),
            [
              {
                contactId: allows.id,
                handle: 'allows@example.com',
                phones: { PHH: '555', PHW: '', PHM: '', MOB: 'Y', MBE: 'N' },
                facts: { blp: 'BL', viewerOnAL: true, viewerOnBL: false },
              },
              {
                contactId: blocks.id,
                handle: 'blocks@example.com',
                phones: { PHH: '', PHW: '', PHM: '', MOB: 'N', MBE: 'N' },
                facts: { blp: 'AL', viewerOnAL: false, viewerOnBL: true },
              },
            ],
          );
          assert.deepEqual(await forwardOf(onlyAl.id), []);
        }));
    });

    describe('deleteAccount', () => {
      test('removes the account and its records, bumping those who had a record of it', () =>
        withStore(async (store) => {
          const gone = await account(store, 'gone@example.com');
          const watcher = await account(store, 'watcher@example.com');
          const blocker = await account(store, 'blocker@example.com');
          const bystander = await account(store, 'bystander@example.com');
          const watched = await account(store, 'watched@example.com');
          await store.transaction(async (tx) => {
            await tx.saveContact(watcher.id, gone.id, entry('g', lists('FL')));
            await tx.saveContact(blocker.id, gone.id, entry('g', lists('BL')));
            await tx.saveContact(gone.id, watched.id, entry('w', lists('FL')));
            await tx.saveContact(watched.id, gone.id, entry('g', lists('RL')));
            await tx.saveContact(watcher.id, bystander.id, entry('b', lists('FL')));
          });
          assert.equal(await store.deleteAccount('GONE@example.com'), true);
          assert.equal(await store.findAccount('gone@example.com'), undefined);
          assert.deepEqual(await Promise.all([watcher, blocker, bystander, watched].map((a) => versionOf(store, a.handle))), [2, 2, 1, 2]);
          await store.transaction(async (tx) => {
            assert.deepEqual(
              (await tx.contacts(watcher.id)).map((c) => c.contactId),
              [bystander.id],
            );
            assert.deepEqual(await tx.contacts(blocker.id), []);
            assert.deepEqual(await tx.contacts(watched.id), []);
            assert.deepEqual(await tx.contacts(gone.id), []);
          });
        }));

      test('of an unknown handle returns false and changes nothing', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          assert.equal(await store.deleteAccount('nobody@example.com'), false);
          assert.deepEqual(await store.listAccounts(), [a]);
        }));
    });

    describe('secrets', () => {
      test('secretOf returns what createAccount and setSecret stored', () =>
        withStore(async (store) => {
          await account(store, 'a@example.com', 'hunter2');
          assert.equal(await store.secretOf('A@example.com'), 'hunter2');
          assert.equal(await store.setSecret('A@EXAMPLE.com', 'pässwörd ✓'), true);
          assert.equal(await store.secretOf('a@example.com'), 'pässwörd ✓');
          assert.equal(await store.setSecret('a@example.com', ''), true);
          assert.equal(await store.secretOf('a@example.com'), '');
        }));

      test('unknown handles: secretOf is undefined, setSecret is false', () =>
        withStore(async (store) => {
          assert.equal(await store.secretOf('nobody@example.com'), undefined);
          assert.equal(await store.setSecret('nobody@example.com', 'x'), false);
        }));

      test('the database holds ciphertext, fresh for every write', () =>
        withStore(async (store, raw) => {
          const secret = 'plain-secret-value';
          await account(store, 'a@example.com', secret);
          const first = await raw.storedSecret('a@example.com');
          assert.ok(first !== undefined && first.length > 0);
          assert.ok(!first.includes(secret));
          assert.ok(!Buffer.from(first, 'base64').toString('latin1').includes(secret));
          await store.setSecret('a@example.com', secret);
          const second = await raw.storedSecret('a@example.com');
          assert.notEqual(second, first);
          assert.equal(await store.secretOf('a@example.com'), secret);
        }));

      test('a tampered or transplanted ciphertext is refused', () =>
        withStore(async (store, raw) => {
          await account(store, 'victim@example.com', 'victim-secret');
          await account(store, 'mallory@example.com', 'known-to-mallory');
          const mallorys = await raw.storedSecret('mallory@example.com');
          await raw.setStoredSecret('victim@example.com', mallorys!);
          await assert.rejects(store.secretOf('victim@example.com'), /failed authentication/);

          const bytes = Buffer.from(mallorys!, 'base64');
          bytes[bytes.length - 1]! ^= 1;
          await raw.setStoredSecret('mallory@example.com', bytes.toString('base64'));
          await assert.rejects(store.secretOf('mallory@example.com'), /failed authentication/);
        }));
    });

    defineServiceStoreTests(withStore, (store, handle) => account(store, handle));
    defineListEditTests(withStore, (store, handle) => account(store, handle));

    describe('sign-in records', () => {
      const signIn = (sessionId: string, since: number) => ({ sessionId, node: 'n1', dialect: 'MSNP5', address: `10.0.0.${since}`, since });

      test('asked for without waiting, they are written in the order asked for, per account', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          const b = await account(store, 'b@example.com');
          await Promise.all([
            store.admin.recordSignIn(a.id, signIn('s1', 1)),
            store.admin.recordSignIn(b.id, signIn('s2', 2)),
            store.admin.recordSignOut(a.id, 's1'),
            store.admin.recordSignIn(a.id, signIn('s3', 3)),
            store.admin.recordSignOut(b.id, 's0'),
          ]);
          assert.deepEqual(await store.admin.signInOf(a.id), signIn('s3', 3));
          assert.deepEqual(await store.admin.signInOf(b.id), signIn('s2', 2));
          assert.deepEqual((await store.admin.details('a@example.com'))?.lastSignIn, { at: 3, address: '10.0.0.3' });

          // A sign-out of an older session leaves the newer one; its own sign-out forgets it.
          await Promise.all([store.admin.recordSignOut(a.id, 's1'), store.admin.recordSignOut(b.id, 's2')]);
          assert.deepEqual(await store.admin.signInOf(a.id), signIn('s3', 3));
          assert.equal(await store.admin.signInOf(b.id), undefined);
          assert.deepEqual(await store.admin.signInsPerNode(), new Map([['n1', 1]]));
        }));

      test('a sign-in and its own sign-out, not waited for, leave the last sign-in and no session; a reader sees them at once', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          await store.admin.recordSignIn(a.id, signIn('s1', 1));
          // s2 replaces s1, whose sign-out comes after s2's sign-in.
          const written = [
            store.admin.recordSignIn(a.id, signIn('s2', 2)),
            store.admin.recordSignOut(a.id, 's1'),
            store.admin.recordSignOut(a.id, 's2'),
          ];
          const details = await store.admin.details('a@example.com');
          assert.deepEqual(details?.lastSignIn, { at: 2, address: '10.0.0.2' });
          assert.equal(details?.signIn, undefined);
          await Promise.all(written);
        }));
    });

    describe('transactions', () => {
      test('return the value of the function', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          assert.equal(await store.transaction(async (tx) => (await tx.accountById(a.id))?.handle), 'a@example.com');
        }));

      test('a throw rolls back every write of the transaction', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          const b = await account(store, 'b@example.com');
          await store.transaction((tx) => tx.saveContact(a.id, b.id, entry('kept', lists('FL'))));
          const failure = new Error('boom');
          await assert.rejects(
            store.transaction(async (tx) => {
              await tx.lockAccounts([a.id, b.id]);
              await tx.updateAccount(a.id, { friendlyName: 'changed', blp: 'BL', phones: { PHH: '1' } });
              await tx.bumpVersion(a.id);
              await tx.bumpVersion(b.id);
              await tx.saveContact(a.id, b.id, entry('changed', lists('AL')));
              await tx.saveContact(b.id, a.id, entry('new', lists('RL')));
              throw failure;
            }),
            (err: unknown) => err === failure,
          );
          assert.deepEqual(await store.listAccounts(), [a, b]);
          await store.transaction(async (tx) => {
            assert.deepEqual(await tx.contacts(a.id), [
              { contactId: b.id, handle: 'b@example.com', name: 'kept', lists: lists('FL'), groups: [0] },
            ]);
            assert.deepEqual(await tx.contacts(b.id), []);
          });
        }));

      test('a failing statement rolls back the writes before it', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          await assert.rejects(
            store.transaction(async (tx) => {
              await tx.bumpVersion(a.id);
              await tx.saveContact(a.id, a.id + 100, entry('ghost', lists('FL')));
            }),
          );
          assert.equal(await versionOf(store, a.handle), 1);
        }));

      test('50 concurrent transactions bumping the same two accounts each count', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          const b = await account(store, 'b@example.com');
          const results = await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              store.transaction(async (tx) => {
                // Half lock in the other order: lockAccounts must still take the locks by id.
                await tx.lockAccounts(i % 2 === 0 ? [a.id, b.id] : [b.id, a.id]);
                return [await tx.bumpVersion(b.id), await tx.bumpVersion(a.id)];
              }),
            ),
          );
          assert.equal(await versionOf(store, a.handle), 51);
          assert.equal(await versionOf(store, b.handle), 51);
          assert.deepEqual(
            results.map(([v]) => v).sort((x, y) => x! - y!),
            Array.from({ length: 50 }, (_, i) => i + 2),
          );
        }));

      test('lockAccounts makes read-modify-write safe under concurrency', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          await store.transaction((tx) => tx.updateAccount(a.id, { friendlyName: '' }));
          await Promise.all(
            Array.from({ length: 20 }, () =>
              store.transaction(async (tx) => {
                await tx.lockAccounts([a.id]);
                const current = await tx.accountById(a.id);
                await tx.updateAccount(a.id, { friendlyName: `${current!.friendlyName}x` });
              }),
            ),
          );
          assert.equal((await store.findAccount(a.handle))?.friendlyName, 'x'.repeat(20));
        }));

      test('concurrent transactions that fail, by a throw or a failing statement, undo only their own writes', () =>
        withStore(async (store) => {
          const a = await account(store, 'a@example.com');
          const b = await account(store, 'b@example.com');
          const failure = new Error('boom');
          const outcomes = await Promise.allSettled(
            Array.from({ length: 30 }, (_, i) =>
              store.transaction(async (tx) => {
                const version = await tx.bumpVersion(a.id);
                if (i % 3 === 1) throw failure;
                if (i % 3 === 2) await tx.saveContact(a.id, b.id + 100, entry('ghost', lists('FL')));
                await tx.saveContact(b.id, a.id, entry(`n${i}`, lists('AL')));
                return version;
              }),
            ),
          );
          outcomes.forEach((outcome, i) => {
            assert.equal(outcome.status, i % 3 === 0 ? 'fulfilled' : 'rejected', `transaction ${i}`);
            if (i % 3 === 1) assert.equal((outcome as PromiseRejectedResult).reason, failure);
          });
          const versions = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
          assert.deepEqual(
            versions.sort((x, y) => x - y),
            Array.from({ length: 10 }, (_, i) => i + 2),
          );
          assert.equal(await versionOf(store, a.handle), 11);
          const [record] = await store.read((tx) => tx.contacts(b.id));
          assert.equal(Number(record?.name.slice(1)) % 3, 0, `written by a failed transaction: ${record?.name}`);
          assert.deepEqual(await store.read((tx) => tx.contacts(a.id)), []);
        }));

      test('lockAccounts of no ids or unknown ids is harmless', () =>
        withStore(async (store) => {
          await store.transaction(async (tx) => {
            await tx.lockAccounts([]);
            await tx.lockAccounts([4242]);
          });
        }));
    });
  });
}
