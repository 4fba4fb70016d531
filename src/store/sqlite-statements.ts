// msnd's use of better-sqlite3 statements: reused per SQL text, for kysely's queries and for the
// statements built once (prepared.ts), which run here on better-sqlite3 directly.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, SqliteDatabase } from 'kysely';
import type { StatementTimer } from './engine.ts';
import { type ListsClock, mayChangeLists } from './lists-clock.ts';
import type { DirectStatements, RowShape } from './prepared.ts';
import type { Database } from './schema.ts';

const CACHED_STATEMENTS = 500;

/**
 * Statements reused per SQL text (bounded: `in (…)` lists vary in length); one still iterating (a
 * streamed query) is not handed out twice. Each write that may change the lists ticks `clock`
 * (lists-clock.ts) as it is handed out, right before it runs. `values`: rows come as arrays of the
 * column values (better-sqlite3's raw mode), not as objects keyed by column name.
 */
export class StatementCache {
  private readonly statements = new Map<string, { statement: BetterSqlite3.Statement; changesLists: boolean }>();

  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly clock: ListsClock,
    private readonly values: boolean,
  ) {}

  take(sql: string): BetterSqlite3.Statement {
    let cached = this.statements.get(sql);
    if (!cached || cached.statement.busy) {
      const statement = this.database.prepare(sql);
      if (this.values && statement.reader) statement.raw(true);
      // A write with RETURNING reads too (`reader`); ROLLBACK counts as read-only (`readonly`).
      const writes = !statement.reader || !statement.readonly;
      cached = { statement, changesLists: writes && mayChangeLists(sql) };
      if (this.statements.size >= CACHED_STATEMENTS) this.statements.clear();
      this.statements.set(sql, cached);
    }
    if (cached.changesLists) this.clock.tick();
    return cached.statement;
  }
}

/**
 * kysely asks better-sqlite3 to prepare every query anew; preparing was a third to a half of a
 * simple query's cost (bench/): kysely's queries take their statements from `rows`.
 */
export function reusingStatements(database: BetterSqlite3.Database, rows: StatementCache): SqliteDatabase {
  return {
    close: () => database.close(),
    prepare: (sql) => rows.take(sql),
  };
}

/** How many are using or waiting for kysely's one connection (its driver counts them). */
export interface ConnectionUse {
  users: number;
}

/**
 * The statements built once (prepared.ts) run here on better-sqlite3, without kysely's per-query
 * machinery (query id, connection provider, logging wrapper, result transformation, the async hops
 * between them), rows as arrays when asked. Where each one runs is where kysely would run it:
 * - on a transaction's or a held connection's handle: through that handle's connection provider,
 *   which is the connection the holder owns;
 * - on the database's own handle: at once when no one uses or waits for the connection and no
 *   transaction is open on it (then nothing can come between, SQLite being synchronous); else
 *   queued behind kysely's mutex like any query, so that it never runs inside another's transaction.
 * Each statement feeds `timer`, as kysely's `log` option does for its own queries.
 */
export class SqliteStatements implements DirectStatements {
  private readonly values: StatementCache;

  constructor(
    private readonly root: Kysely<Database>,
    private readonly database: BetterSqlite3.Database,
    private readonly rows: StatementCache,
    clock: ListsClock,
    private readonly use: ConnectionUse,
    private readonly timer: StatementTimer | undefined,
  ) {
    this.values = new StatementCache(database, clock, true);
  }

  run(db: Kysely<Database>, sql: string, parameters: readonly unknown[], shape: RowShape): unknown[] | Promise<unknown[]> {
    if (db === this.root && this.use.users === 0 && !this.database.inTransaction) return this.runNow(sql, parameters, shape);
    return db.getExecutor().provideConnection(async () => this.runNow(sql, parameters, shape));
  }

  private runNow(sql: string, parameters: readonly unknown[], shape: RowShape): unknown[] {
    const statement = (shape === 'values' ? this.values : this.rows).take(sql);
    const start = performance.now();
    let failed = false;
    try {
      if (statement.reader) return statement.all(parameters);
      statement.run(parameters);
      return [];
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      this.timer?.((performance.now() - start) / 1000, failed);
    }
  }
}
