import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate, setTimeout } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { LATEST_SCHEMA_VERSION, SchemaTooNewError, migrateToLatest, migrations, readSchemaVersion } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/open.ts';
import { SQLITE_FILE, connectSqlite, listsClockOf, openSqliteStore, sqliteEngine } from '../../src/store/sqlite.ts';
import { newAccountRow } from '../../src/store/account-rows.ts';
import { GroupCommit } from '../../src/store/group-commit.ts';
import { accountById } from '../../src/store/hot-reads.ts';
import { prepared } from '../../src/store/prepared.ts';
import { QueuedSignIns, sqliteSignInBatches, writeSignIn } from '../../src/store/signin-records.ts';
import { checkTwoNodesRecords } from './signin-batches.ts';
import type { Database } from '../../src/store/schema.ts';
import { KyselyStoreTx } from '../../src/store/store-tx.ts';
import { checkGroupsMigration } from './groups-migration.ts';
import { defineStoreSuite, type RawAccess } from './store-suite.ts';

const root = await mkdtemp(join(tmpdir(), 'msnd-sqlite-'));
after(() => rm(root, { recursive: true, force: true }));

const secretKey = randomBytes(32);
let opened = 0;

function freshDataDir(): string {
  opened += 1;
  return join(root, `data-${opened}`);
}

function rawAccess(file: string): { raw: RawAccess; close(): void } {
  const db = new BetterSqlite3(file);
  db.pragma('busy_timeout = 5000');
  const raw: RawAccess = {
    setListVersion: async (id, version) => {
      db.prepare('update accounts set list_version = ? where id = ?').run(version, id);
    },
    storedSecret: async (handle) =>
      (db.prepare('select secret_enc from accounts where handle = ?').get(handle) as { secret_enc: string } | undefined)?.secret_enc,
    setStoredSecret: async (handle, stored) => {
      db.prepare('update accounts set secret_enc = ? where handle = ?').run(stored, handle);
    },
  };
  return { raw, close: () => db.close() };
}

defineStoreSuite('SQLite store', async () => {
  const dataDir = freshDataDir();
  const store = await openSqliteStore({ dataDir, secretKey });
  const { raw, close } = rawAccess(join(dataDir, SQLITE_FILE));
  return {
    store,
    raw,
    cleanup: async () => {
      close();
      await store.close();
    },
  };
});

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('SQLite specifics', () => {
  test("a snapshot whose reads another process's commit came between is read again, in a transaction", async () => {
    const dataDir = freshDataDir();
    const store = await openSqliteStore({ dataDir, secretKey });
    const other = new BetterSqlite3(join(dataDir, SQLITE_FILE));
    try {
      const account = await store.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 's', verified: true });
      const seen: number[] = [];
      const version = await store.snapshot(async (tx) => {
        const first = (await tx.accountById(account.id))!.listVersion;
        // Another process commits between the two reads, the first time only.
        if (seen.length === 0) other.prepare('update accounts set list_version = 7 where id = ?').run(account.id);
        const second = (await tx.accountById(account.id))!.listVersion;
        seen.push(first, second);
        return second;
      });
      assert.deepEqual(seen, [account.listVersion, 7, 7, 7]);
      assert.equal(version, 7);
      // Nothing came between: one run.
      seen.length = 0;
      await store.snapshot(async (tx) => seen.push((await tx.accountById(account.id))!.listVersion));
      assert.deepEqual(seen, [7]);
    } finally {
      other.close();
      await store.close();
    }
  });

  test('openStore without a URL makes <dataDir>/msnd.sqlite and a secret key; data survives reopening', async () => {
    const dataDir = freshDataDir();
    const first = await openStore({ dataDir });
    assert.equal(first.kind, 'sqlite');
    await first.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 'kept', verified: true });
    await first.close();
    assert.ok(existsSync(join(dataDir, SQLITE_FILE)));
    assert.ok(existsSync(join(dataDir, 'secret.key')));

    const second = await openStore({ dataDir });
    assert.equal(await second.secretOf('a@example.com'), 'kept');
    await second.close();
    await second.close();
  });

  test('openStore refuses a URL it does not know', async () => {
    await assert.rejects(
      openStore({ dataDir: freshDataDir(), url: 'mysql://localhost/x', secretKey }),
      /store URL: unsupported scheme "mysql:"/,
    );
  });

  test('the database is in WAL mode with foreign keys on', async () => {
    const dataDir = freshDataDir();
    await (await openSqliteStore({ dataDir, secretKey })).close();
    const db = new BetterSqlite3(join(dataDir, SQLITE_FILE));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    const kysely = connectSqlite(join(dataDir, SQLITE_FILE));
    const { rows } = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(kysely);
    assert.equal(rows[0]?.foreign_keys, 1);
    await kysely.destroy();
  });

  test('a new database records the latest schema version', async () => {
    const dataDir = freshDataDir();
    await (await openSqliteStore({ dataDir, secretKey })).close();
    const db = connectSqlite(join(dataDir, SQLITE_FILE));
    assert.equal(await readSchemaVersion(db, sqliteEngine), LATEST_SCHEMA_VERSION);
    await db.destroy();
  });

  test('a database of a newer msnd is refused and left untouched', async () => {
    const dataDir = freshDataDir();
    const store = await openSqliteStore({ dataDir, secretKey });
    await store.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 's', verified: true });
    await store.close();
    const file = join(dataDir, SQLITE_FILE);
    const newer = new BetterSqlite3(file);
    newer.prepare("update msnd_meta set value = ? where key = 'schema_version'").run(String(LATEST_SCHEMA_VERSION + 1));
    newer.close();
    const before = sha256(file);

    await assert.rejects(openSqliteStore({ dataDir, secretKey }), (err: unknown) => {
      assert.ok(err instanceof SchemaTooNewError);
      assert.equal(
        err.message,
        `data directory was written by a newer msnd (schema ${LATEST_SCHEMA_VERSION + 1}, this build knows ${LATEST_SCHEMA_VERSION})`,
      );
      return true;
    });
    assert.equal(sha256(file), before);
    const check = new BetterSqlite3(file, { readonly: true });
    assert.deepEqual(check.prepare("select value from msnd_meta where key = 'schema_version'").get(), {
      value: String(LATEST_SCHEMA_VERSION + 1),
    });
    check.close();
  });

  test('an older database is migrated up, one recorded step at a time', async () => {
    const dataDir = freshDataDir();
    const file = join(dataDir, SQLITE_FILE);
    await (await openSqliteStore({ dataDir, secretKey })).close();
    const withNextStep = {
      ...migrations,
      '9999_test_step': {
        up: async (db: Parameters<typeof migrateToLatest>[0]) => {
          await db.schema.createTable('test_step').addColumn('x', 'integer').execute();
        },
      },
    };
    const db = connectSqlite(file);
    await migrateToLatest(db, sqliteEngine, withNextStep);
    assert.equal(await readSchemaVersion(db, sqliteEngine), LATEST_SCHEMA_VERSION + 1);
    assert.ok(await sqliteEngine.tableExists(db, 'test_step'));
    await db.destroy();
    // And this build now refuses it.
    await assert.rejects(openSqliteStore({ dataDir, secretKey }), SchemaTooNewError);
  });

  test('step 0003 gives every account group 0 and puts FL records in it', async () => {
    const dataDir = freshDataDir();
    await mkdir(dataDir, { recursive: true });
    const db = connectSqlite(join(dataDir, SQLITE_FILE));
    try {
      await checkGroupsMigration(db, sqliteEngine);
    } finally {
      await db.destroy();
    }
  });

  test('a failing migration step leaves nothing of itself behind', async () => {
    const dataDir = freshDataDir();
    const file = join(dataDir, SQLITE_FILE);
    await (await openSqliteStore({ dataDir, secretKey })).close();
    const withBrokenStep = {
      ...migrations,
      '9999_broken': {
        up: async (db: Parameters<typeof migrateToLatest>[0]) => {
          await db.schema.createTable('half_done').addColumn('x', 'integer').execute();
          throw new Error('step failed');
        },
      },
    };
    const db = connectSqlite(file);
    await assert.rejects(migrateToLatest(db, sqliteEngine, withBrokenStep), /step failed/);
    assert.equal(await sqliteEngine.tableExists(db, 'half_done'), false);
    assert.equal(await readSchemaVersion(db, sqliteEngine), LATEST_SCHEMA_VERSION);
    await db.destroy();
  });

  test('another process (the CLI) may write while the store is open', async () => {
    const dataDir = freshDataDir();
    const server = await openSqliteStore({ dataDir, secretKey });
    const a = await server.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 's', verified: true });
    const cli = await startBumpingInChildProcess(dataDir, a.id, 50);
    await Promise.all(
      Array.from({ length: 50 }, () =>
        server.transaction(async (tx) => {
          await tx.accountById(a.id);
          await setTimeout(1);
          return tx.bumpVersion(a.id);
        }),
      ),
    );
    await cli.done;
    assert.equal((await server.findAccount('a@example.com'))?.listVersion, 101);
    await server.close();
  });

  test('the sign-in records asked for meanwhile are written in one transaction; a failed write rejects each; close writes what waits', async () => {
    const dataDir = freshDataDir();
    const store = await openSqliteStore({ dataDir, secretKey });
    const accounts: number[] = [];
    for (const name of ['a', 'b', 'c']) {
      accounts.push((await store.createAccount({ handle: `${name}@example.com`, friendlyName: name, secret: 's', verified: true })).id);
    }
    const signIn = (sessionId: string) => ({ sessionId, node: 'n1', dialect: 'MSNP5', address: '10.0.0.1', since: 1 });
    const written = store.admin.recordSignIn(accounts[0]!, signIn('s9'));
    await store.close();
    await written;

    const db = connectSqlite(join(dataDir, SQLITE_FILE));
    assert.deepEqual(await db.selectFrom('signins').select('session_id').execute(), [{ session_id: 's9' }]);
    const grouped = new GroupCommit(db, (conn) => new KyselyStoreTx(conn, sqliteEngine));
    let transactions = 0;
    let fail = false;
    const records = new QueuedSignIns(
      sqliteSignInBatches(sqliteEngine, (write) => {
        transactions++;
        return fail ? Promise.reject(new Error('disk full')) : grouped.runOn(write, false);
      }),
    );
    await Promise.all([...accounts.map((id, i) => records.signIn(id, signIn(`s${i}`))), records.signOut(accounts[0]!, 's0')]);
    assert.equal(transactions, 1);
    const rows = await db.selectFrom('signins').select('session_id').orderBy('session_id').execute();
    assert.deepEqual(
      rows.map((row) => row.session_id),
      ['s1', 's2'],
    );

    fail = true;
    const failed = await Promise.allSettled([records.signOut(accounts[1]!, 's1'), records.signOut(accounts[2]!, 's2')]);
    assert.deepEqual(
      failed.map((outcome) => outcome.status),
      ['rejected', 'rejected'],
    );
    await db.destroy();
  });

  test('an alert written by another connection after a read that found none is found; so is one written on this one', async () => {
    const dataDir = freshDataDir();
    const store = await openSqliteStore({ dataDir, secretKey });
    const a = await store.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 's', verified: true });
    assert.deepEqual(await store.pendingAlerts([a.id]), []);
    assert.deepEqual(await store.pendingAlerts([a.id]), []);
    // Another process's commit lands in a later turn of the event loop: a reading of data_version
    // serves the rest of the turn it was taken in (ListsClock.earlierDataVersion).
    await setImmediate();
    const other = new BetterSqlite3(join(dataDir, SQLITE_FILE));
    other.pragma('busy_timeout = 5000');
    const { lastInsertRowid } = other.prepare("insert into alerts (text, url, created_at) values ('hi', 'http://x/', 1)").run();
    other.prepare('insert into pending_alerts (account_id, alert_id) values (?, ?)').run(a.id, lastInsertRowid);
    other.close();
    assert.deepEqual(
      (await store.pendingAlerts([a.id])).map((p) => p.alert.text),
      ['hi'],
    );
    assert.equal(await store.claimAlert(a.id, Number(lastInsertRowid)), true);
    assert.deepEqual(await store.pendingAlerts([a.id]), []);
    await store.createAlert({ text: 'again', url: 'http://x/', recipients: 'all' });
    assert.deepEqual(
      (await store.pendingAlerts([a.id])).map((p) => p.alert.text),
      ['again'],
    );
    await store.close();
  });

  /** A new store's database on a connection of its own, and a group commit over it. */
  async function groupCommitOnNewStore(): Promise<{ db: Kysely<Database>; grouped: GroupCommit }> {
    const dataDir = freshDataDir();
    await (await openSqliteStore({ dataDir, secretKey })).close();
    const db = connectSqlite(join(dataDir, SQLITE_FILE));
    return { db, grouped: new GroupCommit(db, (conn) => new KyselyStoreTx(conn, sqliteEngine)) };
  }

  test('a group commit of bookkeeping only commits without the fsync (synchronous NORMAL); one durable item makes it FULL', async () => {
    const { db, grouped } = await groupCommitOnNewStore();
    const level = async (conn: Kysely<Database>) =>
      (await sql<{ synchronous: number }>`pragma synchronous`.execute(conn)).rows[0]!.synchronous;
    const [NORMAL, FULL] = [1, 2];
    assert.equal(await grouped.runOn(level, false), NORMAL);
    // Asked for in the same turn of the event loop: one batch, durable because of its second item.
    assert.deepEqual(await Promise.all([grouped.runOn(level, false), grouped.runOn(level, true)]), [FULL, FULL]);
    // Whatever runs outside the group commit afterwards gets FULL again.
    assert.equal(await level(db), FULL);
    await db.destroy();
  });

  test('a group commit undoes the writes of a transaction that failed, alone or beside others that keep theirs', async () => {
    const { db, grouped } = await groupCommitOnNewStore();
    const write = (key: string, fail: boolean) => async (conn: Kysely<Database>) => {
      await sql`insert into msnd_meta (key, value) values (${key}, 'x')`.execute(conn);
      if (fail) throw new Error(`${key} failed`);
      return key;
    };
    await assert.rejects(grouped.runOn(write('alone', true), true), /alone failed/);
    const together = await Promise.allSettled([grouped.runOn(write('kept', false), true), grouped.runOn(write('undone', true), true)]);
    assert.deepEqual(
      together.map((outcome) => outcome.status),
      ['fulfilled', 'rejected'],
    );
    const { rows } = await sql<{ key: string }>`select key from msnd_meta where key in ('alone', 'kept', 'undone')`.execute(db);
    assert.deepEqual(
      rows.map((row) => row.key),
      ['kept'],
    );
    await db.destroy();
  });
});

describe('SQLite: statements built once run on better-sqlite3 directly', () => {
  /** A new store with one account, and a connection of its own to its file. */
  async function newStoreWithAccount(opts: Parameters<typeof connectSqlite>[1] = {}) {
    const dataDir = freshDataDir();
    const store = await openSqliteStore({ dataDir, secretKey });
    const account = await store.createAccount({ handle: 'a@example.com', friendlyName: 'committed', secret: 's', verified: true });
    await store.close();
    return { db: connectSqlite(join(dataDir, SQLITE_FILE), opts), id: account.id };
  }

  const signIn = { sessionId: 's1', node: 'n1', dialect: 'MSNP5', address: '127.0.0.1:1', since: 1000 };

  test("one issued on the database while a transaction holds the connection runs after it: it neither reads that transaction's writes nor is undone with them", async () => {
    const { db, id } = await newStoreWithAccount();
    const grouped = new GroupCommit(db, (conn) => new KyselyStoreTx(conn, sqliteEngine));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    let letGo!: () => void;
    const release = new Promise<void>((resolve) => (letGo = resolve));
    let readInside: string | undefined;
    const undone = grouped.runOn(async (conn) => {
      await conn.updateTable('accounts').set({ friendly_name: 'uncommitted' }).where('id', '=', id).execute();
      // On the transaction's own handle: inside it.
      readInside = (await accountById(conn, sqliteEngine, id))[0]?.friendlyName;
      holding();
      await release;
      throw new Error('rolled back');
    }, true);
    await held;
    const readOutside = accountById(db, sqliteEngine, id);
    const writtenOutside = writeSignIn(db, sqliteEngine, id, signIn);
    letGo();
    await assert.rejects(undone, /rolled back/);
    assert.equal(readInside, 'uncommitted');
    assert.equal((await readOutside)[0]?.friendlyName, 'committed');
    await writtenOutside;
    const { rows } = await sql<{ session_id: string }>`select session_id from signins where account_id = ${id}`.execute(db);
    assert.deepEqual(rows, [{ session_id: 's1' }]);
    await db.destroy();
  });

  test('they feed the statement timer, failures included, and a failure keeps its error code', async () => {
    const timed: boolean[] = [];
    const { db } = await newStoreWithAccount({ onStatement: (_seconds, failed) => timed.push(failed) });
    const insertAccount = prepared((db, engine, handle: string) =>
      db.insertInto('accounts').values(newAccountRow({ handle, friendlyName: handle, secret: '', verified: true }, engine, 'sealed')),
    );
    await insertAccount(db, sqliteEngine, 'b@example.com');
    const failure = await insertAccount(db, sqliteEngine, 'b@example.com').catch((err: unknown) => err);
    assert.ok(sqliteEngine.isUniqueViolation(failure), String(failure));
    assert.deepEqual(timed, [false, true]);
    await db.destroy();
  });

  test("two servers on one data directory: a record written late never undoes the other's newer one, an account removed by another process fails no one's record, and none moves the lists clock", async () => {
    const dataDir = freshDataDir();
    const store = await openSqliteStore({ dataDir, secretKey });
    const account = (handle: string) => store.createAccount({ handle, friendlyName: 'a', secret: 's', verified: true });
    const { id } = await account('a@example.com');
    const doomed = await account('gone@example.com');
    await store.close();
    const db = connectSqlite(join(dataDir, SQLITE_FILE));
    const clock = listsClockOf(db)!;
    const grouped = new GroupCommit(db, (conn) => new KyselyStoreTx(conn, sqliteEngine));
    const node = () => new QueuedSignIns(sqliteSignInBatches(sqliteEngine, (write) => grouped.runOn(write, false)));
    // `msnd user delete` in another process, while a record of the account waits.
    const remove = async () => {
      const other = new BetterSqlite3(join(dataDir, SQLITE_FILE));
      other.pragma('foreign_keys = ON');
      other.prepare('delete from accounts where id = ?').run(doomed.id);
      other.close();
    };
    const before = clock.now();
    await checkTwoNodesRecords({ db, id, nodes: [node(), node()], doomed: { id: doomed.id, remove } }, () =>
      assert.equal(clock.now(), before),
    );
    await db.destroy();
  });

  test('a write that may change the lists moves the lists clock; the sign-in records do not', async () => {
    const { db, id } = await newStoreWithAccount();
    const clock = listsClockOf(db)!;
    const setBlp = prepared((db, _engine, blp: string) =>
      db
        .updateTable('accounts')
        .set({ blp: blp as 'AL' | 'BL' })
        .where('id', '=', id),
    );
    const before = clock.now();
    await writeSignIn(db, sqliteEngine, id, signIn);
    assert.equal(clock.now(), before);
    await setBlp(db, sqliteEngine, 'BL');
    assert.ok(clock.now() > before);
    await db.destroy();
  });
});

// Read, pause, then write: a transaction that did not take the write lock up front would fail with
// SQLITE_BUSY when the other process commits during the pause.
async function startBumpingInChildProcess(dataDir: string, accountId: number, times: number): Promise<{ done: Promise<void> }> {
  const script = `
    const { openSqliteStore } = await import(${JSON.stringify(new URL('../../src/store/sqlite.ts', import.meta.url).href)});
    const store = await openSqliteStore({ dataDir: process.env.DATA_DIR, secretKey: Buffer.from(process.env.SECRET_KEY, 'hex') });
    process.stdout.write('ready\\n');
    for (let i = 0; i < ${times}; i++) {
      await store.transaction(async (tx) => {
        await tx.accountById(${accountId});
        await new Promise((resolve) => setTimeout(resolve, 1));
        await tx.bumpVersion(${accountId});
      });
    }
    await store.close();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, DATA_DIR: dataDir, SECRET_KEY: secretKey.toString('hex') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child process exited with ${code}`))));
  });
  await Promise.race([once(child.stdout, 'data'), done]);
  return { done };
}
