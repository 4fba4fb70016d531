/**
 * Commands that read a record and write it back, racing another transaction on PostgreSQL (a
 * cluster's other node, or another connection of this one), where READ COMMITTED would let the
 * write undo the other's committed change. The other transaction is played by a raw connection
 * doing what a contact's ADD does (msnd_add_contact: lock both accounts' rows, then set the RL bit
 * of the owner's record), held open while msnd's command waits. Runs when MSND_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type PostgresMsnd, startPostgresMsnd } from '../helpers/postgres-msnd.ts';

const url = process.env.MSND_TEST_POSTGRES_URL;

if (url === undefined || url === '') {
  test('PostgreSQL races', { skip: 'MSND_TEST_POSTGRES_URL is not set: PostgreSQL race tests skipped' }, () => {});
} else {
  definePostgresRaceTests(url);
}

function definePostgresRaceTests(url: string): void {
  const other = new pg.Client({ connectionString: url });
  let running: PostgresMsnd;

  before(async () => {
    await other.connect();
    running = await startPostgresMsnd({ url, names: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'george'] });
  });

  after(async () => {
    await running.stop();
    await other.end();
  });

  async function idOf(handle: string): Promise<number> {
    return (await running.store.findAccount(handle))!.id;
  }

  /** Waits until some backend of this schema's users waits for a lock (msnd's command, blocked). */
  async function untilALockIsAwaited(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { rows } = await running.admin.query(
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid() and pid <> $1`,
        [(other as unknown as { processID: number }).processID],
      );
      if (rows[0].n > 0) return;
      if (Date.now() > deadline) throw new Error('no backend came to wait for the lock');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Waits until `count` backends of this database's users, msnd's or this test's, wait for a lock. */
  async function untilLocksAreAwaited(count: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { rows } = await running.admin.query(
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
      );
      if (rows[0].n >= count) return;
      if (Date.now() > deadline) throw new Error(`fewer than ${count} backends came to wait for a lock`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  describe('PostgreSQL: a command that rewrites a contact record, racing the contact', () => {
    test("REA of a contact does not undo the contact's ADD committed while it waited (the RL bit stays)", async () => {
      const { schema, admin } = running;
      const alice = await running.signIn('alice');
      await alice.add('FL', 'bob@example.com', 'bob');
      const [aliceId, bobId] = [await idOf('alice@example.com'), await idOf('bob@example.com')];

      // bob's ADD FL alice, half done: both accounts locked, in id order, as msnd_add_contact does.
      await other.query('begin');
      await other.query(`select 1 from ${schema}.accounts where id in ($1, $2) order by id for update`, [aliceId, bobId]);
      const renamed = alice.conn.request('REA', 'bob@example.com', 'Bobby');
      await untilALockIsAwaited();
      await other.query(`update ${schema}.contacts set rl = true where owner_id = $1 and contact_id = $2`, [aliceId, bobId]);
      await other.query('commit');

      const answer = await renamed;
      assert.equal(answer.name, 'REA', answer.line);
      const { rows } = await admin.query(`select name, fl, rl from ${schema}.contacts where owner_id = $1 and contact_id = $2`, [
        aliceId,
        bobId,
      ]);
      assert.deepEqual(rows, [{ name: 'Bobby', fl: true, rl: true }]);
    });
  });

  describe('PostgreSQL: PRP racing a change of the same account', () => {
    test('PRP MOB Y that waited for an MBE turned off meanwhile stores MOB N (MSNP5.md 9.14: no MOB Y without MBE Y)', async () => {
      const { schema, admin } = running;
      const bobId = await idOf('bob@example.com');
      await admin.query(`update ${schema}.accounts set mbe = 'Y' where id = $1`, [bobId]);
      const bob = await running.signIn('bob');

      // An operator turns MSN Mobile off for bob (as setMobileEnabled does), half done: bob's row locked.
      await other.query('begin');
      await other.query(`select 1 from ${schema}.accounts where id = $1 for update`, [bobId]);
      const answered = bob.conn.request('PRP', 'MOB', 'Y');
      await untilALockIsAwaited();
      await other.query(`update ${schema}.accounts set mbe = 'N', mob = 'N' where id = $1`, [bobId]);
      await other.query('commit');

      const answer = await answered;
      assert.equal(answer.name, 'PRP', answer.line);
      assert.equal(answer.args.at(-1), 'N', answer.line);
      const { rows } = await admin.query(`select mbe, mob from ${schema}.accounts where id = $1`, [bobId]);
      assert.deepEqual(rows, [{ mbe: 'N', mob: 'N' }]);
    });

    test('PRP that waited for a contact adding the owner bumps that new watcher too and sends it the BPR', async () => {
      const { schema, admin } = running;
      const [carolId, daveId] = [await idOf('carol@example.com'), await idOf('dave@example.com')];
      const carol = await running.signIn('carol');
      const dave = await running.signIn('dave');

      // dave's ADD FL carol, half done: both accounts locked, in id order, as msnd_add_contact does,
      // and both records written; carol's PRP reads her watchers meanwhile and waits for her lock.
      await other.query('begin');
      await other.query(`select 1 from ${schema}.accounts where id in ($1, $2) order by id for update`, [carolId, daveId]);
      await other.query(
        `insert into ${schema}.contacts (owner_id, contact_id, fl, al, bl, rl, name, group_ids, seq) values
           ($1, $2, true, false, false, false, 'carol', '0', 1), ($2, $1, false, false, false, true, 'dave', '', 1)`,
        [daveId, carolId],
      );
      const { rows: bumped } = await other.query(
        `update ${schema}.accounts set list_version = list_version + 1 where id = $1 returning list_version`,
        [daveId],
      );
      const daveVersion = Number(bumped[0].list_version);
      const answered = carol.conn.request('PRP', 'PHH', '555%200100');
      await untilALockIsAwaited();
      await other.query('commit');

      const answer = await answered;
      assert.equal(answer.name, 'PRP', answer.line);
      const bpr = await dave.conn.next('BPR');
      assert.deepEqual(bpr.args, [String(daveVersion + 1), 'carol@example.com', 'PHH', '555%200100'], bpr.line);
      const { rows } = await admin.query(`select list_version from ${schema}.accounts where id = $1`, [daveId]);
      assert.equal(Number(rows[0].list_version), daveVersion + 1);
    });

    test('PRP that finds a new watcher locked by another transaction waiting for one of its watchers tries again: no deadlock, no 500', async () => {
      const { schema } = running;
      const [erinId, frankId, georgeId] = [
        await idOf('erin@example.com'),
        await idOf('frank@example.com'),
        await idOf('george@example.com'),
      ];
      assert.ok(erinId < frankId && frankId < georgeId, 'accounts are locked in id order');
      const erin = await running.signIn('erin');
      const frank = await running.signIn('frank');
      const george = await running.signIn('george');
      await george.add('FL', 'erin@example.com', 'erin');
      const second = new pg.Client({ connectionString: url });
      await second.connect();
      try {
        // frank's ADD FL erin, half done (both locked in id order, both records written), while
        // erin's PRP locks erin and george, its watcher, and waits for erin.
        await other.query('begin');
        await other.query(`select 1 from ${schema}.accounts where id in ($1, $2) order by id for update`, [erinId, frankId]);
        await other.query(
          `insert into ${schema}.contacts (owner_id, contact_id, fl, al, bl, rl, name, group_ids, seq) values
             ($1, $2, true, false, false, false, 'erin', '0', 1), ($2, $1, false, false, false, true, 'frank', '', 2)`,
          [frankId, erinId],
        );
        const answered = erin.conn.request('PRP', 'PHH', '555%200101');
        await untilLocksAreAwaited(1);
        // Another transaction, in id order too, takes frank's lock after the ADD, then george's.
        await second.query('begin');
        const frankLocked = second.query(`select 1 from ${schema}.accounts where id = $1 for update`, [frankId]);
        await untilLocksAreAwaited(2);
        await other.query('commit');
        await frankLocked;
        // PRP now holds erin's lock, found frank among the watchers, and waits for frank's.
        await untilLocksAreAwaited(1);
        await second.query(`select 1 from ${schema}.accounts where id = $1 for update`, [georgeId]);
        await second.query('commit');

        const answer = await answered;
        assert.equal(answer.name, 'PRP', answer.line);
        for (const watcher of [frank, george]) {
          // george's ADD of erin brought the BPR lines of her phones as they were then (no PHH).
          let bpr = await watcher.conn.next('BPR');
          while (!(bpr.args[2] === 'PHH' && bpr.args.length === 4)) bpr = await watcher.conn.next('BPR');
          assert.deepEqual(bpr.args.slice(1), ['erin@example.com', 'PHH', '555%200101'], bpr.line);
        }
      } finally {
        await second.query('rollback').catch(() => {});
        await second.end();
      }
    });
  });
}
