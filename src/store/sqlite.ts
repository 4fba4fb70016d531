import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type DialectAdapter,
  type SqliteDialectConfig,
} from 'kysely';
import type { Store } from '../core/store.ts';
import { errorCode, type Engine, type StatementTimer, timedStatements } from './engine.ts';
import { KyselyStore } from './kysely-store.ts';
import { ListsClock } from './lists-clock.ts';
import { runPreparedDirectly } from './prepared.ts';
import { type ConnectionUse, SqliteStatements, StatementCache, reusingStatements } from './sqlite-statements.ts';
import { DataDirError, makeDataDir } from './data-dir.ts';
import { assertSqliteLoads } from './sqlite-binding.ts';
import { checkStoreKey } from './key-check.ts';
import { migrateToLatest, NoStoreError, readSchemaVersion } from './migrations.ts';
import type { SecretKeySource } from './secrets.ts';
import type { Database } from './schema.ts';

export const SQLITE_FILE = 'msnd.sqlite';

export const sqliteEngine: Engine = {
  kind: 'sqlite',
  flag: (value) => (value ? 1 : 0),
  isUniqueViolation: (err) => errorCode(err) === 'SQLITE_CONSTRAINT_UNIQUE',
  // kysely keeps one connection behind a mutex, so this process runs transactions one at a time;
  // BEGIN IMMEDIATE (below) orders them against other processes.
  lockAccounts: async () => {},
  tableExists: async (db, table) => {
    const { rows } = await sql`select 1 from sqlite_master where type = 'table' and name = ${table}`.execute(db);
    return rows.length > 0;
  },
  migrationTableSchema: async () => undefined,
};

/**
 * The embedded store: `<dataDir>/msnd.sqlite`, created (with the directory) when missing, unless
 * `create` is false: then a directory without a store is refused (NoStoreError) and nothing is made.
 */
export async function openSqliteStore(opts: {
  dataDir: string;
  secretKey: Buffer | SecretKeySource;
  create?: boolean;
  onStatement?: StatementTimer;
}): Promise<Store> {
  const db = await openSqliteDatabase(opts);
  try {
    const key = await checkStoreKey(db, opts.secretKey);
    return new KyselyStore(db, sqliteEngine, key, listsClockOf(db));
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/** A migrated kysely handle on `<dataDir>/msnd.sqlite` (what openSqliteStore wraps, without the key check). */
export async function openSqliteDatabase(opts: {
  dataDir: string;
  create?: boolean;
  onStatement?: StatementTimer;
}): Promise<Kysely<Database>> {
  assertSqliteLoads();
  const file = join(opts.dataDir, SQLITE_FILE);
  const create = opts.create ?? true;
  if (create) makeDataDir(opts.dataDir);
  else if (!existsSync(file)) throw new NoStoreError(opts.dataDir);
  let db: Kysely<Database>;
  try {
    db = connectSqlite(file, { mustExist: !create, onStatement: opts.onStatement });
  } catch (err) {
    throw new DataDirError(`cannot open the store ${file}: ${(err as Error).message}`);
  }
  try {
    if (!create && (await readSchemaVersion(db, sqliteEngine)) === 0) throw new NoStoreError(opts.dataDir);
    await migrateToLatest(db, sqliteEngine);
    return db;
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/** A kysely handle on one SQLite file with msnd's pragmas; no migration. */
export function connectSqlite(file: string, opts: { mustExist?: boolean; onStatement?: StatementTimer } = {}): Kysely<Database> {
  const { onStatement } = opts;
  const database = new BetterSqlite3(file, { fileMustExist: opts.mustExist === true });
  try {
    // Another process (the CLI) may hold the write lock for a moment: wait instead of failing.
    database.pragma('busy_timeout = 5000');
    database.pragma('foreign_keys = ON');
    database.pragma('journal_mode = WAL');
    // FULL: a change acknowledged to a client survives a power cut, not only a process crash.
    database.pragma('synchronous = FULL');
  } catch (err) {
    database.close();
    throw err;
  }
  const clock = new ListsClock(dataVersionOf(database));
  const rows = new StatementCache(database, clock, false);
  const use: ConnectionUse = { users: 0 };
  const db = new Kysely<Database>({
    dialect: new MsndSqliteDialect({ database: reusingStatements(database, rows) }, use),
    ...timedStatements(onStatement),
  });
  runPreparedDirectly(db, new SqliteStatements(db, database, rows, clock, use, onStatement));
  listsClocks.set(db, clock);
  return db;
}

/** Each connection's ListsClock (lists-clock.ts), for the store made on it. */
const listsClocks = new WeakMap<Kysely<Database>, ListsClock>();

export function listsClockOf(db: Kysely<Database>): ListsClock | undefined {
  return listsClocks.get(db);
}

function dataVersionOf(database: BetterSqlite3.Database): () => number {
  const statement = database.prepare('pragma data_version').pluck();
  return () => statement.get() as number;
}

// A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when another
// process wrote in between (busy_timeout does not apply there); IMMEDIATE waits for the lock first.
// It counts who uses or waits for the connection, for SqliteStatements.
class ImmediateSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly use: ConnectionUse,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    this.use.users++;
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    this.use.users--;
    await super.releaseConnection();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

// SQLite does run DDL inside transactions; kysely's adapter says no only to stay conservative.
// Saying yes makes each migration atomic and, with BEGIN IMMEDIATE, serialises two processes
// migrating the same file.
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class MsndSqliteDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly use: ConnectionUse,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config, this.use);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
