// The key check, refusing to create a store by accident, and the one-server lock, on real SQLite
// and (when MSND_TEST_POSTGRES_URL is set) PostgreSQL, through the store API.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { KeyMismatchError, MissingKeyError, NoStoreError, openStore, SecretKeySource } from '../../src/store/open.ts';
import { lockPostgresStore, lockSqliteStore, StoreLockedError } from '../../src/store/serve-lock.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'msnd-keycheck-'));
  dirs.push(dir);
  return dir;
}

function sqliteRows(dir: string, query: string): unknown[] {
  const db = new Database(join(dir, 'msnd.sqlite'), { readonly: true });
  try {
    return db.prepare(query).all();
  } finally {
    db.close();
  }
}

describe('key check (SQLite)', () => {
  test('a new store gets a key check; another key is refused, naming its source, and nothing changes', async () => {
    const dir = await freshDir();
    const store = await openStore({ dataDir: dir });
    await store.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 'pw', verified: true });
    await store.close();
    const meta = sqliteRows(dir, 'select key, value from msnd_meta order by key');
    assert.ok(meta.some((row) => (row as { key: string }).key === 'key_check'));

    const other = randomBytes(32).toString('hex');
    await assert.rejects(openStore({ dataDir: dir, secretKey: SecretKeySource.resolve({ env: { MSND_SECRET_KEY: other } }) }), (err) => {
      assert.ok(err instanceof KeyMismatchError);
      assert.match(err.message, /from MSND_SECRET_KEY does not open this store: its accounts were written under another key/);
      return true;
    });
    const keyFile = join(dir, 'secret.key');
    const original = readFileSync(keyFile, 'utf8');
    await writeFile(keyFile, `${other}\n`, { mode: 0o600 });
    await assert.rejects(openStore({ dataDir: dir }), new RegExp(`from key file ${keyFile} does not open this store`));
    assert.deepEqual(sqliteRows(dir, 'select key, value from msnd_meta order by key'), meta);

    await writeFile(keyFile, original, { mode: 0o600 });
    const again = await openStore({ dataDir: dir });
    assert.equal(await again.secretOf('a@example.com'), 'pw');
    await again.close();
  });

  test('a store with accounts and no key file is refused, and no new key is made', async () => {
    const dir = await freshDir();
    const store = await openStore({ dataDir: dir });
    await store.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 'pw', verified: true });
    await store.close();
    await unlink(join(dir, 'secret.key'));
    await assert.rejects(openStore({ dataDir: dir }), (err) => {
      assert.ok(err instanceof MissingKeyError);
      assert.match(err.message, /secret\.key is missing, but this store was set up under a secret key/);
      return true;
    });
    assert.equal(existsSync(join(dir, 'secret.key')), false);
  });

  test('a store from before the key check gets one on first start; under a wrong key it is refused and left as it was', async () => {
    const dir = await freshDir();
    const key = randomBytes(32);
    const store = await openStore({ dataDir: dir, secretKey: key });
    await store.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 'pw', verified: true });
    await store.close();
    const db = new Database(join(dir, 'msnd.sqlite'));
    db.prepare("delete from msnd_meta where key = 'key_check'").run();
    db.close();
    const before = sqliteRows(dir, 'select key, value from msnd_meta order by key');

    await assert.rejects(openStore({ dataDir: dir, secretKey: randomBytes(32) }), KeyMismatchError);
    assert.deepEqual(sqliteRows(dir, 'select key, value from msnd_meta order by key'), before);

    await (await openStore({ dataDir: dir, secretKey: key })).close();
    assert.deepEqual(sqliteRows(dir, "select count(*) as n from msnd_meta where key = 'key_check'"), [{ n: 1 }]);
    await assert.rejects(openStore({ dataDir: dir, secretKey: randomBytes(32) }), KeyMismatchError);
  });

  test('create: false refuses a directory without a store and creates nothing', async () => {
    const parent = await freshDir();
    const absent = join(parent, 'typo');
    await assert.rejects(openStore({ dataDir: absent, create: false }), (err) => {
      assert.ok(err instanceof NoStoreError);
      assert.equal(err.message, `no msnd data in ${absent} — start \`msnd serve --data ${absent}\` once, or pass --init`);
      return true;
    });
    assert.equal(existsSync(absent), false);
    await assert.rejects(openStore({ dataDir: parent, create: false }), NoStoreError);
    assert.deepEqual(readdirSync(parent), []);
  });
});

describe('one server per store (SQLite)', () => {
  test('a second lock on the data directory is refused naming the holder; released, it can be taken', async () => {
    const dir = await freshDir();
    const first = lockSqliteStore(dir);
    await first.describe('Dispatch Server on 127.0.0.1:1863');
    // Another connection in this process stands for another process: SQLite's locks are per connection.
    assert.throws(
      () => lockSqliteStore(dir),
      (err) => {
        assert.ok(err instanceof StoreLockedError);
        assert.match(err.message, new RegExp(`pid ${process.pid} on .*Dispatch Server on 127\\.0\\.0\\.1:1863.*--bus redis://`));
        return true;
      },
    );
    assert.equal(JSON.parse(readFileSync(join(dir, 'msnd.pid'), 'utf8')).pid, process.pid);
    await first.release();
    assert.equal(existsSync(join(dir, 'msnd.pid')), false, 'a stopped server leaves no msnd.pid behind');
    const second = lockSqliteStore(dir);
    await second.release();
  });
});

const url = process.env.MSND_TEST_POSTGRES_URL;
if (url === undefined || url === '') {
  test('key check and lock on PostgreSQL', { skip: 'MSND_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped' }, () => {});
} else {
  describe('key check and lock (PostgreSQL)', () => {
    const admin = new pg.Client({ connectionString: url });
    const schemas: string[] = [];
    const connected = admin.connect();
    after(async () => {
      for (const schema of schemas) await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    });
    async function freshSchema(): Promise<string> {
      await connected;
      const schema = `msnd_test_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return schema;
    }

    test('another key is refused and nothing changes; a store from before the check gets one', async () => {
      const schema = await freshSchema();
      const key = randomBytes(32);
      const store = await openStore({ dataDir: '/nonexistent-not-used', url, secretKey: key, pgSchema: schema });
      await store.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 'pw', verified: true });
      await store.close();
      const meta = async () => (await admin.query(`select key, value from ${schema}.msnd_meta order by key`)).rows;
      const before = await meta();
      assert.ok(before.some((row) => row.key === 'key_check'));
      await assert.rejects(
        openStore({ dataDir: '/nonexistent-not-used', url, secretKey: randomBytes(32), pgSchema: schema }),
        KeyMismatchError,
      );
      assert.deepEqual(await meta(), before);

      await admin.query(`delete from ${schema}.msnd_meta where key = 'key_check'`);
      await assert.rejects(
        openStore({ dataDir: '/nonexistent-not-used', url, secretKey: randomBytes(32), pgSchema: schema }),
        KeyMismatchError,
      );
      assert.equal((await meta()).filter((row) => row.key === 'key_check').length, 0);
      await (await openStore({ dataDir: '/nonexistent-not-used', url, secretKey: key, pgSchema: schema })).close();
      assert.equal((await meta()).filter((row) => row.key === 'key_check').length, 1);
    });

    test('a data directory without its key file is refused for a PostgreSQL store that holds accounts', async () => {
      const schema = await freshSchema();
      const dir = await freshDir();
      const store = await openStore({ dataDir: dir, url, pgSchema: schema });
      await store.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 'pw', verified: true });
      await store.close();
      const elsewhere = await freshDir();
      await assert.rejects(openStore({ dataDir: elsewhere, url, pgSchema: schema }), MissingKeyError);
      assert.deepEqual(readdirSync(elsewhere), []);
    });

    test('create: false refuses a database without an msnd store and creates nothing', async () => {
      const schema = await freshSchema();
      await admin.query(`create schema ${schema}`);
      await assert.rejects(
        openStore({ dataDir: '/nonexistent-not-used', url, secretKey: randomBytes(32), pgSchema: schema, create: false }),
        NoStoreError,
      );
      const { rows } = await admin.query('select count(*)::int as n from information_schema.tables where table_schema = $1', [schema]);
      assert.deepEqual(rows, [{ n: 0 }]);
    });

    test('the advisory lock: a second server is refused naming the first; a closed connection frees it', async () => {
      const schema = await freshSchema();
      await (await openStore({ dataDir: '/nonexistent-not-used', url, secretKey: randomBytes(32), pgSchema: schema })).close();
      const first = await lockPostgresStore({ url, schema });
      await first.describe('Dispatch Server on 127.0.0.1:1863');
      await assert.rejects(lockPostgresStore({ url, schema }), (err) => {
        assert.ok(err instanceof StoreLockedError);
        assert.match(err.message, new RegExp(`pid ${process.pid} on .*Dispatch Server on 127\\.0\\.0\\.1:1863.*--bus redis://`));
        return true;
      });
      // Another schema is another store.
      const otherSchema = await freshSchema();
      await (await openStore({ dataDir: '/nonexistent-not-used', url, secretKey: randomBytes(32), pgSchema: otherSchema })).close();
      await (await lockPostgresStore({ url, schema: otherSchema })).release();
      await first.release();
      await (await lockPostgresStore({ url, schema })).release();
    });
  });
}
