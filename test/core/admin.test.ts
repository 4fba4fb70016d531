// core/admin.ts on a real store: SQLite, and PostgreSQL when MSND_TEST_POSTGRES_URL is set. The
// rules of each operator action: what changes, what notice the node holding the session gets,
// what the audit log says, and what is refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { authenticate } from '../../src/core/accounts.ts';
import { Admin, AdminError, NODE_STALE_MS } from '../../src/core/admin.ts';
import type { AuditEntry, NodeReport } from '../../src/core/admin-store.ts';
import type { Store } from '../../src/core/store.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { md5Hex } from '../../src/protocol/md5.ts';
import { openStore } from '../../src/store/open.ts';

const secretKey = randomBytes(32);
const postgresUrl = process.env.MSND_TEST_POSTGRES_URL;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function sqliteStore(): Promise<Store> {
  const dataDir = await mkdtemp(join(tmpdir(), 'msnd-core-admin-'));
  const store = await openStore({ dataDir, secretKey });
  cleanups.push(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return store;
}

async function postgresStore(): Promise<Store> {
  const schema = `msnd_test_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ dataDir: '/nonexistent-not-used', url: postgresUrl!, secretKey, pgSchema: schema });
  cleanups.push(async () => {
    await store.close();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });
  return store;
}

const engines: [string, () => Promise<Store>][] = [['SQLite', sqliteStore]];
if (postgresUrl) engines.push(['PostgreSQL', postgresStore]);

function nodeReport(id: string): NodeReport {
  return {
    id,
    version: '0.1.0',
    startedAt: 0,
    host: 'h',
    pid: 1,
    ns: 'h:1',
    sb: 'h:2',
    web: 'http://h',
    sessions: 1,
    switchboards: 2,
    bus: 'local',
  };
}

async function withAccounts(open: () => Promise<Store>, names: string[]): Promise<Store> {
  const store = await open();
  for (const name of names) {
    await store.createAccount({ handle: `${name}@example.com`, friendlyName: name, secret: `${name}pass`, verified: true });
  }
  return store;
}

async function noticesFor(store: Store, handle: string) {
  return (await store.admin.notices(0, 100)).filter((n) => n.handle === handle).map((n) => n.notice);
}

for (const [engine, open] of engines) {
  describe(`core/admin.ts on ${engine}`, () => {
    test('disable: refused at sign-in with the wrong password’s 911, a notice ends the session, the audit says who and why', async () => {
      const store = await withAccounts(open, ['alice']);
      const admin = new Admin(store, { actor: 'cli:root', now: () => 1_700_000_000_000 });
      const outcome = await admin.disable('Alice@Example.com', 'spam');
      assert.deepEqual(outcome, { ended: true });
      const account = (await store.findAccount('alice@example.com'))!;
      assert.equal(account.disabled, true);
      assert.equal(account.sessionsEndedAt, 1_700_000_000_000);
      assert.equal((await admin.showAccount('alice@example.com')).disabledReason, 'spam');
      assert.deepEqual(await noticesFor(store, 'alice@example.com'), [{ kind: 'end', reason: 'disabled' }]);
      const challenge = '1234.5678';
      const right = await authenticate(store, 'alice@example.com', challenge, md5Hex(challenge, 'alicepass'), { requireVerified: false });
      const wrong = await authenticate(store, 'alice@example.com', challenge, md5Hex(challenge, 'nope'), { requireVerified: false });
      assert.deepEqual(right, { error: ErrorCode.AUTHENTICATION_FAILED });
      assert.deepEqual(right, wrong);

      await admin.enable('alice@example.com');
      const enabled = await admin.showAccount('alice@example.com');
      assert.equal(enabled.account.disabled, false);
      assert.equal(enabled.disabledReason, '');
      assert.ok(
        'ok' in (await authenticate(store, 'alice@example.com', challenge, md5Hex(challenge, 'alicepass'), { requireVerified: false })),
      );
      assert.deepEqual(
        (await admin.auditLog()).map(({ at, actor, action, target, detail }) => [at, actor, action, target, detail]),
        [
          [1_700_000_000_000, 'cli:root', 'disable', 'alice@example.com', 'spam'],
          [1_700_000_000_000, 'cli:root', 'enable', 'alice@example.com', ''],
        ],
      );
    });

    test('kick waits for the live session to end; a session on a node that stopped reporting does not count', async () => {
      const store = await withAccounts(open, ['bob']);
      const bob = (await store.findAccount('bob@example.com'))!;
      const admin = new Admin(store, { actor: 'web:root@example.com', endWaitMs: 30_000 });
      await store.admin.reportNode(nodeReport('n1'), Date.now());
      const signIn = { sessionId: 's1', node: 'n1', dialect: 'MSNP5', address: '10.0.0.1', since: Date.now() };
      await store.admin.recordSignIn(bob.id, signIn);
      assert.equal((await admin.showAccount('bob@example.com')).signedInNow?.dialect, 'MSNP5');
      assert.deepEqual((await admin.showAccount('bob@example.com')).lastSignIn, { at: signIn.since, address: '10.0.0.1' });

      const kicking = admin.kick('bob@example.com');
      // The node carries the notice out: here, by hand, once it is there.
      while ((await noticesFor(store, 'bob@example.com')).length === 0) await new Promise((r) => setImmediate(r));
      await store.admin.recordSignOut(bob.id, 's1');
      const outcome = await kicking;
      assert.equal(outcome.ended, true);
      assert.equal(outcome.session?.node, 'n1');
      assert.ok((await store.findAccount('bob@example.com'))!.sessionsEndedAt > 0);

      await store.admin.recordSignIn(bob.id, { ...signIn, sessionId: 's2' });
      const impatient = new Admin(store, { actor: 'cli:root', endWaitMs: 50 });
      assert.equal((await impatient.kick('bob@example.com')).ended, false);

      const later = new Admin(store, { actor: 'cli:root', now: () => Date.now() + NODE_STALE_MS + 1000 });
      assert.equal((await later.showAccount('bob@example.com')).signedInNow, undefined);
      assert.deepEqual(await later.kick('bob@example.com'), { ended: true });
      assert.equal((await later.status()).nodes.length, 0);
      const status = await admin.status();
      assert.deepEqual(
        status.nodes.map((n) => [n.report.id, n.signedIn]),
        [['n1', 1]],
      );
      assert.equal(status.switchboards, 2);
      assert.equal(status.backlog?.pendingAlerts, 0);
    });

    test('delete: off every list, each owner one version per list and a REM notice each; the handle is free', async () => {
      const store = await withAccounts(open, ['carol', 'dave', 'erin']);
      const [carol, dave] = [(await store.findAccount('carol@example.com'))!, (await store.findAccount('dave@example.com'))!];
      await store.transaction(async (tx) => {
        await tx.saveContact(carol.id, dave.id, { name: 'dave', lists: { FL: true, AL: true, BL: false, RL: true }, groups: [] });
        await tx.saveContact(dave.id, carol.id, { name: 'carol', lists: { FL: true, AL: false, BL: false, RL: true }, groups: [] });
      });
      const admin = new Admin(store, { actor: 'cli:root' });
      await admin.deleteAccount('dave@example.com');
      assert.equal(await store.findAccount('dave@example.com'), undefined);
      assert.deepEqual(await store.read((tx) => tx.contacts(carol.id)), []);
      assert.equal((await store.findAccount('carol@example.com'))!.listVersion, carol.listVersion + 3);
      assert.deepEqual(await noticesFor(store, 'carol@example.com'), [
        { kind: 'event', event: { kind: 'list-removed', list: 'FL', version: carol.listVersion + 1, contact: 'dave@example.com' } },
        { kind: 'event', event: { kind: 'list-removed', list: 'AL', version: carol.listVersion + 2, contact: 'dave@example.com' } },
        { kind: 'event', event: { kind: 'reverse-removed', version: carol.listVersion + 3, contact: 'dave@example.com' } },
      ]);
      assert.deepEqual(await noticesFor(store, 'dave@example.com'), [{ kind: 'end', reason: 'deleted' }]);
      assert.equal((await store.findAccount('erin@example.com'))!.listVersion, 1);
      assert.deepEqual(
        (await admin.auditLog()).map((e) => [e.action, e.target, e.detail]),
        [['delete', 'dave@example.com', 'removed from the lists of 1 account(s)']],
      );
      await admin.addAccount({ handle: 'dave@example.com', password: 'new', verified: true, admin: false });
      await assert.rejects(admin.deleteAccount('nobody@example.com'), new AdminError('no account nobody@example.com'));
    });

    test('add and passwd are audited in the transaction of the change: an entry that cannot be written undoes it', async () => {
      const store = await withAccounts(open, []);
      const admin = new Admin(store, { actor: 'cli:root' });
      await admin.addAccount({ handle: 'hana@example.com', password: 'one', verified: true, admin: true });
      await admin.setPassword('hana@example.com', 'two');
      await assert.rejects(admin.setPassword('nobody@example.com', 'x'), /no account nobody@example\.com/);
      assert.deepEqual(
        (await admin.auditLog()).map((e) => [e.actor, e.action, e.target, e.detail]),
        [
          ['cli:root', 'add', 'hana@example.com', 'admin'],
          ['cli:root', 'passwd', 'hana@example.com', ''],
        ],
      );
      // An audit entry the store refuses (no actor: NOT NULL) fails the change with it.
      const unwritable = { at: 1, actor: null, action: 'add', target: 'ivo@example.com', detail: '' } as unknown as AuditEntry;
      await assert.rejects(
        store.createAccount({ handle: 'ivo@example.com', friendlyName: 'ivo', secret: 's', verified: true }, unwritable),
      );
      assert.equal(await store.findAccount('ivo@example.com'), undefined);
      await assert.rejects(store.setSecret('hana@example.com', 'three', { ...unwritable, target: 'hana@example.com' }));
      assert.equal(await store.secretOf('hana@example.com'), 'two');
    });

    test('rename, verify, the admin role; bad input is refused and writes nothing', async () => {
      const store = await withAccounts(open, ['fred']);
      const admin = new Admin(store, { actor: 'cli:root' });
      const before = (await store.findAccount('fred@example.com'))!;
      await admin.rename('fred@example.com', 'Fred É');
      const after = (await store.findAccount('fred@example.com'))!;
      assert.equal(after.friendlyName, 'Fred%20%C3%89');
      assert.equal(after.listVersion, before.listVersion + 1);
      assert.deepEqual(await noticesFor(store, 'fred@example.com'), [
        { kind: 'renamed', name: 'Fred%20%C3%89', version: after.listVersion },
      ]);
      await store.transaction((tx) => tx.updateAccount(before.id, { verified: false }));
      await admin.verify('fred@example.com');
      assert.equal((await store.findAccount('fred@example.com'))!.verified, true);
      await admin.grantAdmin('fred@example.com');
      assert.equal((await store.findAccount('fred@example.com'))!.admin, true);
      await admin.revokeAdmin('fred@example.com');
      const revoked = (await store.findAccount('fred@example.com'))!;
      assert.equal(revoked.admin, false);
      assert.ok(revoked.sessionsEndedAt > 0, 'revoking the role ends its browser sign-ins');
      const entries = (await admin.auditLog()).length;

      await assert.rejects(admin.rename('fred@example.com', ' '), /name must not be empty/);
      await assert.rejects(admin.rename('fred@example.com', 'x'.repeat(400)), /name is too long/);
      await assert.rejects(admin.disable('not a handle'), /not a valid handle/);
      await assert.rejects(admin.kick('nobody@example.com'), /no account nobody@example\.com/);
      await assert.rejects(admin.addAccount({ handle: 'fred@example.com', password: 'x', verified: true, admin: false }), /already exists/);
      await assert.rejects(admin.setPassword('fred@example.com', ''), /must not be empty/);
      assert.equal((await admin.auditLog()).length, entries);
      assert.equal((await store.findAccount('fred@example.com'))!.friendlyName, 'Fred%20%C3%89');
    });

    test('the audit log from a time, oldest first, at most the newest N', async () => {
      const store = await withAccounts(open, ['gus']);
      let now = 1000;
      const admin = new Admin(store, { actor: 'cli:root', now: () => now });
      for (let i = 0; i < 5; i++) {
        now = 1000 * (i + 2);
        await admin.kick('gus@example.com');
      }
      assert.deepEqual(
        (await admin.auditLog(4000)).map((e) => e.at),
        [4000, 5000, 6000],
      );
      assert.deepEqual(
        (await admin.auditLog(0, 2)).map((e) => e.at),
        [5000, 6000],
      );
      assert.ok((await store.admin.pruneNotices(5500)) >= 4);
      assert.equal((await store.admin.notices(0, 100)).length, 1);
      assert.equal(await store.admin.lastNoticeId(), (await store.admin.notices(0, 100))[0]!.id);
    });
  });
}
