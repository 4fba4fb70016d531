import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Store } from '../core/store.ts';
import { errorCode, type Engine } from './engine.ts';
import { KyselyStore } from './kysely-store.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';

const UNIQUE_VIOLATION = '23505';
const INT8_OID = 20;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export const postgresEngine: Engine = {
  kind: 'postgres',
  flag: (value) => value,
  isUniqueViolation: (err) => errorCode(err) === UNIQUE_VIOLATION,
  lockAccounts: async (trx, ids) => {
    if (ids.length === 0) return;
    // One statement, rows locked in id order: two transactions locking overlapping sets cannot deadlock.
    await trx
      .selectFrom('accounts')
      .select('id')
      .where('id', 'in', [...ids])
      .orderBy('id')
      .forUpdate()
      .execute();
  },
  tableExists: async (db, table) => {
    const { rows } = await sql<{ present: boolean }>`select to_regclass(${table}) is not null as present`.execute(db);
    return rows[0]?.present === true;
  },
  migrationTableSchema: async (db) => {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    // Named explicitly: kysely otherwise finds its tables in any schema and may skip creating them here.
    return rows[0]?.schema ?? undefined;
  },
};

export interface PostgresStoreOptions {
  /** postgres:// or postgresql:// connection URL. */
  url: string;
  secretKey: Buffer;
  /** A schema to create if missing and use (search_path) on every pooled connection. */
  schema?: string;
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  const schema = opts.schema === undefined ? undefined : checkedSchemaName(opts.schema);
  const pool = new pg.Pool({
    connectionString: opts.url,
    options: schema === undefined ? undefined : `-c search_path=${schema}`,
    types: { getTypeParser: bigintAsNumber },
  });
  // A pooled idle connection that breaks is discarded by the pool; without a listener the event would
  // crash the process. The next query opens a new connection or fails visibly.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    await migrateToLatest(db, postgresEngine);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new KyselyStore(db, postgresEngine, opts.secretKey);
}

function checkedSchemaName(name: string): string {
  if (!SCHEMA_NAME.test(name)) {
    throw new Error(`PostgreSQL schema name must match ${SCHEMA_NAME} (got ${JSON.stringify(name)})`);
  }
  return name;
}

// bigint columns (list versions < 2^32, unix times, counts) are safe as JavaScript numbers.
const bigintAsNumber = ((oid: number, format?: 'text' | 'binary') =>
  oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'];
