// The store's services part (MSNP5.md 9.17–9.21): the member directory, alerts and the outbox.
// Called from the shared store suite, so it runs on SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnknownRecipientError } from '../../src/core/store.ts';
import type { DirectoryEntry, NewOutboxItem, Store } from '../../src/core/store.ts';
import type { Account } from '../../src/core/types.ts';

type WithStore = (fn: (store: Store) => Promise<void>) => Promise<void>;
type MakeAccount = (store: Store, handle: string) => Promise<Account>;

function entry(firstName: string, lastName: string, city = '', state = '', country = 'US', listed = true): DirectoryEntry {
  return { listed, firstName, lastName, city, state, country };
}

const MAIL: NewOutboxItem = {
  kind: 'email',
  recipient: 'zed@example.net',
  sender: 'alice@example.com',
  subject: 's',
  body: 'b',
  callback: '',
};

export function defineServiceStoreTests(withStore: WithStore, account: MakeAccount): void {
  /**
   * Accounts made one after another, so their ids come in the order of `handles`: made at once, on
   * PostgreSQL they may not (a CI run got b's id before a's), and these tests read results in id order.
   */
  async function accountsInOrder(store: Store, handles: string[]): Promise<Account[]> {
    const made: Account[] = [];
    for (const handle of handles) made.push(await account(store, `${handle}@example.com`));
    return made;
  }
  describe('member directory', () => {
    test('setDirectoryEntry creates, replaces and (null) removes an entry', () =>
      withStore(async (store) => {
        const a = await account(store, 'a@example.com');
        assert.equal(await store.directoryEntry(a.id), undefined);
        await store.setDirectoryEntry(a.id, entry('Carol', 'Example', 'Springfield', 'IL'));
        assert.deepEqual(await store.directoryEntry(a.id), entry('Carol', 'Example', 'Springfield', 'IL'));
        await store.setDirectoryEntry(a.id, entry('Carole', 'Exemple', '', '', 'FR', false));
        assert.deepEqual(await store.directoryEntry(a.id), entry('Carole', 'Exemple', '', '', 'FR', false));
        await store.setDirectoryEntry(a.id, null);
        assert.equal(await store.directoryEntry(a.id), undefined);
      }));

    test('searchDirectory finds listed entries only, in account order, case-insensitively, without handles', () =>
      withStore(async (store) => {
        const [a, b, c, d] = await accountsInOrder(store, ['a', 'b', 'c', 'd']);
        await store.setDirectoryEntry(a!.id, entry('Carol', 'Example', 'Springfield', 'IL'));
        await store.setDirectoryEntry(b!.id, entry('carol', 'EXAMPLE', 'Portland', 'OR'));
        await store.setDirectoryEntry(c!.id, entry('Carol', 'Example', 'Paris', '', 'FR', false));
        await store.setDirectoryEntry(d!.id, entry('Carl', 'Example', 'Springfield', 'IL'));
        const hits = await store.searchDirectory({ firstName: 'CAROL', lastName: 'example' }, 10);
        assert.deepEqual(hits, [
          { accountId: a!.id, firstName: 'Carol', lastName: 'Example', city: 'Springfield', state: 'IL', country: 'US' },
          { accountId: b!.id, firstName: 'carol', lastName: 'EXAMPLE', city: 'Portland', state: 'OR', country: 'US' },
        ]);
        assert.ok(!JSON.stringify(hits).includes('@'), 'a hit carries no handle');
      }));

    test('city, state and country narrow the search when given; limit caps the hits', () =>
      withStore(async (store) => {
        const ids: number[] = [];
        for (const [i, city] of ['Springfield', 'Portland', 'springfield'].entries()) {
          const a = await account(store, `p${i}@example.com`);
          ids.push(a.id);
          await store.setDirectoryEntry(a.id, entry('Pat', 'Smith', city, i === 1 ? 'OR' : 'IL'));
        }
        const by = async (query: Partial<{ city: string; state: string; country: string }>, limit = 10) =>
          (await store.searchDirectory({ firstName: 'pat', lastName: 'smith', ...query }, limit)).map((h) => h.accountId);
        assert.deepEqual(await by({ city: 'SPRINGFIELD' }), [ids[0], ids[2]]);
        assert.deepEqual(await by({ state: 'or' }), [ids[1]]);
        assert.deepEqual(await by({ country: 'us', state: 'IL', city: 'springfield' }), [ids[0], ids[2]]);
        assert.deepEqual(await by({ country: 'DE' }), []);
        assert.deepEqual(await by({}, 2), [ids[0], ids[1]]);
      }));

    test('non-ASCII names match in any case on both engines', () =>
      withStore(async (store) => {
        const a = await account(store, 'emile@example.com');
        await store.setDirectoryEntry(a.id, entry('Émile', 'Ångström', 'Zürich', '', 'CH'));
        const hits = await store.searchDirectory({ firstName: 'éMILE', lastName: 'åNGSTRÖM', city: 'ZÜRICH' }, 5);
        assert.deepEqual(
          hits.map((h) => [h.firstName, h.lastName, h.city]),
          [['Émile', 'Ångström', 'Zürich']],
        );
      }));

    test('deleting the account deletes its entry', () =>
      withStore(async (store) => {
        const a = await account(store, 'gone@example.com');
        await store.setDirectoryEntry(a.id, entry('Gone', 'Away'));
        await store.deleteAccount('gone@example.com');
        assert.deepEqual(await store.searchDirectory({ firstName: 'Gone', lastName: 'Away' }, 5), []);
      }));
  });

  describe('alerts', () => {
    test('createAlert to handles makes one pending delivery per recipient', () =>
      withStore(async (store) => {
        const [a, b, c] = await accountsInOrder(store, ['a', 'b', 'c']);
        const created = await store.createAlert({
          text: 'Hello',
          url: 'http://x.example/a.htm',
          recipients: ['A@example.com', 'b@example.com', 'a@example.com'],
        });
        assert.equal(created.recipients, 2);
        const pending = await store.pendingAlerts([a!.id, b!.id, c!.id]);
        assert.deepEqual(
          pending.map((p) => p.accountId),
          [a!.id, b!.id],
        );
        assert.equal(pending[0]!.alert.id, created.id);
        assert.equal(pending[0]!.alert.text, 'Hello');
        assert.equal(pending[0]!.alert.url, 'http://x.example/a.htm');
        assert.ok(Math.abs(pending[0]!.alert.createdAt - Date.now() / 1000) < 60);
      }));

    test("'all' reaches every account that exists now", () =>
      withStore(async (store) => {
        const [a, b] = await Promise.all(['a', 'b'].map((h) => account(store, `${h}@example.com`)));
        const created = await store.createAlert({ text: 'Everyone', url: '', recipients: 'all' });
        assert.equal(created.recipients, 2);
        const later = await account(store, 'later@example.com');
        const pending = await store.pendingAlerts([a!.id, b!.id, later.id]);
        assert.deepEqual(pending.map((p) => p.accountId).sort(), [a!.id, b!.id].sort());
      }));

    test('an unknown recipient refuses the whole alert', () =>
      withStore(async (store) => {
        const a = await account(store, 'a@example.com');
        await assert.rejects(
          store.createAlert({ text: 'x', url: '', recipients: ['a@example.com', 'ghost@example.com'] }),
          (err: unknown) => err instanceof UnknownRecipientError && err.handles.join() === 'ghost@example.com',
        );
        assert.deepEqual(await store.pendingAlerts([a.id]), []);
      }));

    test('pendingAlerts lists oldest first; claimAlert succeeds exactly once', () =>
      withStore(async (store) => {
        const a = await account(store, 'a@example.com');
        const first = await store.createAlert({ text: 'one', url: '', recipients: ['a@example.com'] });
        const second = await store.createAlert({ text: 'two', url: '', recipients: ['a@example.com'] });
        assert.deepEqual(
          (await store.pendingAlerts([a.id])).map((p) => p.alert.text),
          ['one', 'two'],
        );
        assert.equal(await store.claimAlert(a.id, first.id), true);
        assert.equal(await store.claimAlert(a.id, first.id), false);
        assert.deepEqual(
          (await store.pendingAlerts([a.id])).map((p) => p.alert.id),
          [second.id],
        );
        assert.deepEqual(await store.pendingAlerts([]), []);
      }));

    test('twenty racing deliverers: one claim wins', () =>
      withStore(async (store) => {
        const a = await account(store, 'a@example.com');
        const { id } = await store.createAlert({ text: 'race', url: '', recipients: ['a@example.com'] });
        const claims = await Promise.all(Array.from({ length: 20 }, () => store.claimAlert(a.id, id)));
        assert.equal(claims.filter(Boolean).length, 1);
      }));

    test('expireAlerts deletes the alerts created before the cutoff, with their pending copies', () =>
      withStore(async (store) => {
        const a = await account(store, 'a@example.com');
        await store.createAlert({ text: 'old news', url: '', recipients: ['a@example.com'] });
        const [pending] = await store.pendingAlerts([a.id]);
        const createdAt = pending!.alert.createdAt;
        assert.equal(await store.expireAlerts(createdAt), 0);
        assert.equal((await store.pendingAlerts([a.id])).length, 1);
        assert.equal(await store.expireAlerts(createdAt + 1), 1);
        assert.deepEqual(await store.pendingAlerts([a.id]), []);
        assert.equal(await store.claimAlert(a.id, pending!.alert.id), false);
      }));

    test('pendingAlerts works for more accounts than one IN list holds', () =>
      withStore(async (store) => {
        const a = await account(store, 'a@example.com');
        await store.createAlert({ text: 'x', url: '', recipients: ['a@example.com'] });
        const ids = [...Array.from({ length: 1200 }, (_, i) => 100000 + i), a.id];
        assert.deepEqual(
          (await store.pendingAlerts(ids)).map((p) => p.accountId),
          [a.id],
        );
      }));
  });

  describe('outbox', () => {
    test('an enqueued item is due at once, claimed for the lease, and counted', () =>
      withStore(async (store) => {
        const id = await store.enqueueOutbox(MAIL, 1000);
        assert.deepEqual(await store.outboxItem(id), {
          ...MAIL,
          id,
          createdAt: 1000,
          attempts: 0,
          dueAt: 1000,
          sentAt: null,
          lastError: '',
        });
        assert.equal(await store.nextOutbox(999, 500), undefined);
        const claimed = await store.nextOutbox(1000, 500);
        assert.deepEqual(claimed, { ...MAIL, id, createdAt: 1000, attempts: 1 });
        assert.equal(await store.nextOutbox(1499, 500), undefined, 'held for the lease');
        assert.equal((await store.nextOutbox(1500, 500))?.attempts, 2, 'due again after the lease');
      }));

    test('sent items are done; failed ones come back at retryAt, or never', () =>
      withStore(async (store) => {
        const sent = await store.enqueueOutbox(MAIL, 0);
        const retried = await store.enqueueOutbox({ ...MAIL, kind: 'page', recipient: '15550199', callback: '15550100' }, 0);
        const dropped = await store.enqueueOutbox(MAIL, 0);
        assert.equal((await store.nextOutbox(10, 100))?.id, sent);
        await store.markOutboxSent(sent, 20);
        assert.equal((await store.nextOutbox(10, 100))?.id, retried);
        await store.markOutboxFailed(retried, 'gateway said no', 5000);
        assert.equal((await store.nextOutbox(10, 100))?.id, dropped);
        await store.markOutboxFailed(dropped, 'x'.repeat(5000), null);
        assert.equal(await store.nextOutbox(4999, 100), undefined);
        assert.deepEqual(await store.nextOutbox(5000, 100), {
          ...MAIL,
          kind: 'page',
          recipient: '15550199',
          callback: '15550100',
          id: retried,
          createdAt: 0,
          attempts: 2,
        });
        assert.equal(await store.nextOutbox(1e12, 100).then((i) => i?.id), retried, 'only the retried item is ever due again');
        const [s, d] = [await store.outboxItem(sent), await store.outboxItem(dropped)];
        assert.deepEqual([s?.sentAt, s?.dueAt, s?.attempts], [20, null, 1]);
        assert.deepEqual([d?.sentAt, d?.dueAt, d?.lastError.length], [null, null, 1000]);
        assert.equal(await store.outboxItem(999999), undefined);
      }));

    test('items are taken oldest-due first; racing workers never take the same item', () =>
      withStore(async (store) => {
        const ids: number[] = [];
        for (let i = 0; i < 8; i++) ids.push(await store.enqueueOutbox({ ...MAIL, subject: `n${i}` }, 100 - i));
        const taken = await Promise.all(Array.from({ length: 12 }, () => store.nextOutbox(1000, 60_000)));
        const got = taken.filter((t) => t !== undefined).map((t) => t.id);
        assert.equal(got.length, 8);
        assert.equal(new Set(got).size, 8);
        const fresh = await store.enqueueOutbox(MAIL, 5);
        await store.enqueueOutbox(MAIL, 6);
        assert.equal((await store.nextOutbox(1000, 1))?.id, fresh);
        assert.deepEqual(ids.length, 8);
      }));

    test('the admin console: failed items newest first with their error; retry makes one due afresh; drop deletes', () =>
      withStore(async (store) => {
        const sent = await store.enqueueOutbox(MAIL, 0);
        const waiting = await store.enqueueOutbox(MAIL, 0);
        const retrying = await store.enqueueOutbox(MAIL, 0);
        const givenUp = await store.enqueueOutbox({ ...MAIL, kind: 'page', recipient: '15550199' }, 0);
        await store.markOutboxSent(sent, 1);
        await store.markOutboxFailed(retrying, 'timeout', 5000);
        await store.markOutboxFailed(givenUp, 'gateway said no', null);
        // A waiting item that was never tried is not a failure.
        const failed = await store.failedOutbox(10);
        assert.deepEqual(
          failed.map((item) => [item.id, item.lastError, item.dueAt]),
          [
            [givenUp, 'gateway said no', null],
            [retrying, 'timeout', 5000],
          ],
        );
        assert.equal((await store.failedOutbox(1)).length, 1, 'limit');
        await store.markOutboxSent(waiting, 2);

        assert.equal(await store.retryOutbox(givenUp, 1000), true);
        assert.deepEqual(await store.outboxItem(givenUp).then((i) => [i?.dueAt, i?.attempts]), [1000, 0]);
        const next = await store.nextOutbox(1000, 100);
        assert.deepEqual([next?.id, next?.attempts], [givenUp, 1], 'the first attempt of a fresh count');
        assert.equal(await store.retryOutbox(sent, 7000), false, 'a sent item stays sent');

        assert.equal(await store.dropOutbox(retrying), true);
        assert.equal(await store.outboxItem(retrying), undefined);
        assert.equal(await store.dropOutbox(retrying), false);
        assert.equal(await store.dropOutbox(sent), false, 'a sent item is kept');
        assert.equal(await store.retryOutbox(999999, 1), false);
      }));
  });
}
