import pg from 'pg';
import { Kysely, sql, type PostgresPool, type PostgresPoolClient } from 'kysely';
import { SearchPathPostgresDialect } from './postgres-introspector.ts';
import type { Store } from '../core/store.ts';
import { ServiceUnavailableError } from '../core/unavailable.ts';
import { errorCode, type Engine, type StatementTimer, timedStatements } from './engine.ts';
import { KyselyStore } from './kysely-store.ts';
import { checkStoreKey } from './key-check.ts';
import { migrateToLatest, NoStoreError, readSchemaVersion } from './migrations.ts';
import { compiledOnceName } from './prepared.ts';
import type { SecretKeySource } from './secrets.ts';
import type { Database } from './schema.ts';

const UNIQUE_VIOLATION = '23505';
const INT8_OID = 20;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** How long a query may wait for a connection (a new one, or a free one of the pool) before it fails. */
const CONNECT_TIMEOUT_MS = 10_000;

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
  secretKey: Buffer | SecretKeySource;
  /** False: a database (schema) without an msnd store is refused (NoStoreError) and nothing is made. */
  create?: boolean;
  /** A schema to create if missing and use (search_path) on every pooled connection. */
  schema?: string;
  /** Told every statement's duration (the server's latency metric). */
  onStatement?: StatementTimer;
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  const db = await openPostgresDatabase(opts);
  try {
    const key = await checkStoreKey(db, opts.secretKey);
    return new KyselyStore(db, postgresEngine, key);
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/** A migrated kysely handle on the store (what openPostgresStore wraps, without the key check). */
export async function openPostgresDatabase(opts: Omit<PostgresStoreOptions, 'secretKey'>): Promise<Kysely<Database>> {
  const schema = opts.schema === undefined ? undefined : checkedSchemaName(opts.schema);
  const pool = new pg.Pool({
    connectionString: opts.url,
    options: schema === undefined ? undefined : `-c search_path=${schema}`,
    types: { getTypeParser: bigintAsNumber },
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // A pooled idle connection that breaks is discarded by the pool; without a listener the event would
  // crash the process. The next query opens a new connection or fails visibly.
  pool.on('error', () => {});
  const db = new Kysely<Database>({
    dialect: new SearchPathPostgresDialect({ pool: reportingUnavailable(pool) }),
    ...timedStatements(opts.onStatement),
  });
  try {
    if (opts.create === false) {
      if ((await readSchemaVersion(db, postgresEngine)) === 0) throw new NoStoreError('the PostgreSQL store', 'postgres');
    } else if (schema !== undefined) {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    }
    await migrateToLatest(db, postgresEngine);
    return db;
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/**
 * The pool as kysely uses it, with connection failures (PostgreSQL unreachable, a connection
 * broken in the middle of a query, the server shutting down) thrown as ServiceUnavailableError,
 * so that the server answers them as such (601, MSNP5.md 13). Other errors pass as they are.
 */
function reportingUnavailable(pool: pg.Pool): PostgresPool {
  const listening = new WeakSet<pg.PoolClient>();
  return {
    connect: async () => {
      const client = await pool.connect().catch((err: unknown) => {
        throw asUnavailable(err);
      });
      // A connection that breaks while checked out emits 'error' on its client, which would crash
      // the process without a listener; its query fails anyway, and the pool drops it on release.
      if (!listening.has(client)) {
        listening.add(client);
        client.on('error', () => {});
      }
      return {
        // Only the (sql, parameters) form: kysely passes a cursor only when given one to stream with.
        query: ((text: string, parameters: readonly unknown[]) =>
          client.query(queryConfig(text, parameters)).catch((err: unknown) => {
            throw asUnavailable(err);
          })) as unknown as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy),
      };
    },
    end: () => pool.end(),
  };
}

/**
 * A statement compiled once (prepared.ts) goes as a named prepared statement: pg parses it once per
 * connection, and PostgreSQL plans it once there too (after five executions it keeps a generic plan
 * when that costs no more), where an unnamed one is planned at every execution; planning a
 * sign-in's three-table join took longer than running it. Its name is a digest of its text.
 */
function queryConfig(text: string, values: readonly unknown[]): pg.QueryConfig {
  const name = compiledOnceName(text);
  return name === undefined ? { text, values: values as unknown[] } : { name, text, values: values as unknown[] };
}

/** SQLSTATE class 08 (connection exception), shutdown and too-many-connections codes, and node's socket errors. */
const UNAVAILABLE_CODES = /^(08...|57P0[123]|53300|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/;
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|not queryable|connection error/i;

function asUnavailable(err: unknown): unknown {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : '';
  const down = (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) || UNAVAILABLE_MESSAGES.test(message);
  return down ? new ServiceUnavailableError('store', err) : err;
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
