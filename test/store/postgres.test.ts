// Runs the store suite against PostgreSQL when MSND_TEST_POSTGRES_URL is set. Every store opened
// here gets a fresh schema of a random name, dropped afterwards. A connection failure fails the run.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { LATEST_SCHEMA_VERSION, SchemaTooNewError } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/open.ts';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { accountById } from '../../src/store/hot-reads.ts';
import { openPostgresDatabase, openPostgresStore, postgresEngine } from '../../src/store/postgres.ts';
import { postgresSignInBatches, QueuedSignIns } from '../../src/store/signin-records.ts';
import { checkGroupsMigration } from './groups-migration.ts';
import { checkTwoNodesRecords } from './signin-batches.ts';
import { defineStoreSuite, type RawAccess } from './store-suite.ts';

const url = process.env.MSND_TEST_POSTGRES_URL;

if (url === undefined || url === '') {
  test('PostgreSQL store suite', { skip: 'MSND_TEST_POSTGRES_URL is not set: PostgreSQL store tests skipped' }, () => {});
} else {
  definePostgresTests(url);
}

function definePostgresTests(url: string): void {
  const secretKey = randomBytes(32);
  const admin = new pg.Client({ connectionString: url });
  const schemas: string[] = [];
  let connected: Promise<unknown> | undefined;

  after(async () => {
    if (connected === undefined) return;
    for (const schema of schemas) await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });

  async function freshSchema(): Promise<string> {
    connected ??= admin.connect();
    await connected;
    const schema = `msnd_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return schema;
  }

  function rawAccess(schema: string): RawAccess {
    const q = async (text: string, values: unknown[]) => admin.query(text.replaceAll('accounts', `${schema}.accounts`), values);
    return {
      setListVersion: async (id, version) => {
        await q('update accounts set list_version = $1 where id = $2', [version, id]);
      },
      storedSecret: async (handle) => (await q('select secret_enc from accounts where handle = $1', [handle])).rows[0]?.secret_enc,
      setStoredSecret: async (handle, stored) => {
        await q('update accounts set secret_enc = $1 where handle = $2', [stored, handle]);
      },
    };
  }

  defineStoreSuite('PostgreSQL store', async () => {
    const schema = await freshSchema();
    const store = await openPostgresStore({ url, secretKey, schema });
    return {
      store,
      raw: rawAccess(schema),
      cleanup: async () => {
        await store.close();
        await admin.query(`drop schema ${schema} cascade`);
      },
    };
  });

  describe('PostgreSQL specifics', () => {
    test('a store opens while other schemas of the database are dropped meanwhile', async () => {
      await freshSchema(); // connects the admin client
      const churn = new pg.Client({ connectionString: url });
      await churn.connect();
      let stop = false;
      // Other stores' schemas (with the serial columns kysely's own introspector looks into) come and go.
      const churning = (async () => {
        for (let round = 0; !stop; round++) {
          const other = `msnd_test_churn_${randomBytes(4).toString('hex')}`;
          await churn.query(`create schema ${other}; create table ${other}.t (id serial primary key, v text)`);
          await churn.query(`drop schema ${other} cascade`);
        }
      })();
      try {
        for (let i = 0; i < 8; i++) {
          const store = await openPostgresStore({ url, secretKey, schema: await freshSchema() });
          await store.close();
        }
      } finally {
        stop = true;
        await churning;
        await churn.end();
      }
    });

    test("a snapshot's reads see one state: a commit of another connection between them is not seen (SYN's version and lists agree)", async () => {
      const schema = await freshSchema();
      const store = await openPostgresStore({ url, secretKey, schema });
      try {
        const account = await store.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 's', verified: true });
        const raw = rawAccess(schema);
        const seen = await store.snapshot(async (tx) => {
          const first = (await tx.accountById(account.id))!.listVersion;
          await raw.setListVersion(account.id, 7);
          const second = (await tx.accountById(account.id))!.listVersion;
          return [first, second];
        });
        assert.deepEqual(seen, [account.listVersion, account.listVersion]);
        assert.equal((await store.findAccount('a@example.com'))!.listVersion, 7, 'the commit happened');
      } finally {
        await store.close();
      }
    });

    test("sign-in records of two nodes, batched: a batch written late never undoes the other's newer record; a sign-out deletes its own session only", async () => {
      const schema = await freshSchema();
      const store = await openPostgresStore({ url, secretKey, schema });
      const db = await openPostgresDatabase({ url, schema });
      try {
        const account = (handle: string) => store.createAccount({ handle, friendlyName: 'a', secret: 's', verified: true });
        const { id } = await account('a@example.com');
        const doomed = await account('gone@example.com');
        await checkTwoNodesRecords({
          db,
          id,
          nodes: [new QueuedSignIns(postgresSignInBatches(db)), new QueuedSignIns(postgresSignInBatches(db))],
          doomed: { id: doomed.id, remove: async () => assert.equal(await store.deleteAccount('gone@example.com'), true) },
        });
      } finally {
        await db.destroy();
        await store.close();
      }
    });

    test('a statement compiled once runs as a named prepared statement (planned once per connection); others stay unnamed', async () => {
      const schema = await freshSchema();
      const db = await openPostgresDatabase({ url, schema });
      try {
        const rows = await db.transaction().execute(async (trx) => {
          // Twice on one connection: prepared the first time, reused the second.
          await accountById(trx, postgresEngine, 1);
          await accountById(trx, postgresEngine, 2);
          return (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(trx)).rows;
        });
        assert.equal(rows.length, 1, JSON.stringify(rows));
        assert.match(rows[0]!.name, /^msnd_[0-9a-f]{24}$/);
        assert.match(rows[0]!.statement, /^select .* from "accounts" where "id" = \$1$/);
      } finally {
        await db.destroy();
      }
    });

    test('openStore picks PostgreSQL for a postgres:// URL and records the schema version', async () => {
      const schema = await freshSchema();
      const store = await openStore({ dataDir: '/nonexistent-not-used', url, secretKey, pgSchema: schema });
      assert.equal(store.kind, 'postgres');
      await store.close();
      const { rows } = await admin.query(`select value from ${schema}.msnd_meta where key = 'schema_version'`);
      assert.deepEqual(rows, [{ value: String(LATEST_SCHEMA_VERSION) }]);
    });

    test('reopening keeps the data; a newer schema version is refused untouched', async () => {
      const schema = await freshSchema();
      const first = await openPostgresStore({ url, secretKey, schema });
      await first.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 'kept', verified: true });
      await first.close();
      const second = await openPostgresStore({ url, secretKey, schema });
      assert.equal(await second.secretOf('a@example.com'), 'kept');
      await second.close();

      await admin.query(`update ${schema}.msnd_meta set value = $1 where key = 'schema_version'`, [String(LATEST_SCHEMA_VERSION + 7)]);
      await assert.rejects(openPostgresStore({ url, secretKey, schema }), SchemaTooNewError);
      const { rows } = await admin.query(`select value from ${schema}.msnd_meta where key = 'schema_version'`);
      assert.deepEqual(rows, [{ value: String(LATEST_SCHEMA_VERSION + 7) }]);
    });

    test('step 0003 gives every account group 0 and puts FL records in it', async () => {
      const schema = await freshSchema();
      await admin.query(`create schema ${schema}`);
      const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` });
      const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
      try {
        await sql`select 1`.execute(db);
        await checkGroupsMigration(db, postgresEngine);
      } finally {
        await db.destroy();
      }
    });

    test('a schema name that is not a plain identifier is refused', async () => {
      await assert.rejects(openPostgresStore({ url, secretKey, schema: 'x; drop table accounts' }), /schema name/);
    });
  });
}
