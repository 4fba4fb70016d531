// Statements built and compiled once per engine, then executed with new arguments: kysely builds
// and compiles every query anew, which was two fifths of a sign-in's CPU (bench/ --profile). The
// SQL text is then the same each time: better-sqlite3's statement cache (sqlite-statements.ts)
// prepares it once, and on PostgreSQL it runs as a named prepared statement, parsed and planned
// once per connection (postgres.ts; pg's unnamed statements are planned at every execution). On
// SQLite they run on better-sqlite3 directly (SqliteStatements), not through kysely's per-query
// machinery.
import { createHash } from 'node:crypto';
import { CompiledQuery, type Compilable, type DialectAdapter, type Kysely } from 'kysely';
import type { Engine, EngineKind } from './engine.ts';
import type { Database } from './schema.ts';

/** Rows as objects keyed by column name, or as arrays of the column values in the order selected. */
export type RowShape = 'objects' | 'values';

/** Runs a compiled statement on the connection `db` stands for, without going through kysely. */
export interface DirectStatements {
  run(db: Kysely<Database>, sql: string, parameters: readonly unknown[], shape: RowShape): unknown[] | Promise<unknown[]>;
}

/**
 * By the adapter of a database's handles: the database's own, its transactions' and its connections'
 * share it. A handle's executor is what kysely's `sql` templates run on (QueryExecutorProvider).
 */
const directByAdapter = new WeakMap<DialectAdapter, DirectStatements>();

/** Prepared statements on `db` (and every handle made from it) are run by `direct` from now on. */
export function runPreparedDirectly(db: Kysely<Database>, direct: DirectStatements): void {
  directByAdapter.set(db.getExecutor().adapter, direct);
}

/** The name a selection has in the result: `t.column` is `column`, `x as name` is `name`. */
type OutputName<Selection> = Selection extends `${string} as ${infer Alias}`
  ? Alias
  : Selection extends `${string}.${infer Column}`
    ? Column
    : Selection;

/** The values of a row of `Row` selected by `Selections`, in their order (preparedValues). */
export type SelectedValues<Row, Selections extends readonly string[]> = {
  -readonly [I in keyof Selections]: OutputName<Selections[I]> extends keyof Row ? Row[OutputName<Selections[I]>] : never;
};

/** Stands for argument `i` while the statement is built: a string no caller's value can be. */
const marker = (i: number): string => `\u0000msnd prepared argument ${i}\u0000`;

/** One parameter of the compiled statement: the caller's argument `i`, or a constant of the built query. */
type Slot = { arg: number } | { value: unknown };

interface Compiled {
  sql: string;
  slots: Slot[];
}

type Build<Args extends readonly unknown[], Row> = (db: Kysely<Database>, engine: Engine, ...args: Args) => Compilable<Row>;

/**
 * The SQL of every statement compiled here, with a name for it (a digest of the text): a fixed set,
 * a few dozen texts, which PostgreSQL may keep prepared on each connection (a text built per query,
 * as `in (…)` lists are, is not here).
 */
const compiledNames = new Map<string, string>();

/** The name of `sql` if it is the text of a statement compiled once (prepared or preparedValues). */
export function compiledOnceName(sql: string): string | undefined {
  return compiledNames.get(sql);
}

/** The statement `build` makes, compiled once per engine, and its parameters for `args`. */
function compiledOnce<Args extends readonly (string | number)[]>(build: Build<Args, unknown>) {
  const byEngine = new Map<EngineKind, Compiled>();
  const compile = (db: Kysely<Database>, engine: Engine, arity: number): Compiled => {
    const markers = Array.from({ length: arity }, (_, i) => marker(i)) as unknown as Args;
    const { sql, parameters } = build(db, engine, ...markers).compile();
    if (!compiledNames.has(sql)) compiledNames.set(sql, `msnd_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`);
    const slots = parameters.map((value): Slot => {
      const arg = typeof value === 'string' ? markers.indexOf(value) : -1;
      return arg >= 0 ? { arg } : { value };
    });
    return { sql, slots };
  };
  return (db: Kysely<Database>, engine: Engine, args: Args) => {
    let compiled = byEngine.get(engine.kind);
    if (!compiled) byEngine.set(engine.kind, (compiled = compile(db, engine, args.length)));
    const parameters = compiled.slots.map((slot) => ('arg' in slot ? args[slot.arg] : slot.value));
    return { sql: compiled.sql, parameters };
  };
}

/** The rows of `sql` on `db`, directly where the database allows it, else through kysely. */
async function rowsOf(db: Kysely<Database>, sql: string, parameters: unknown[], shape: RowShape): Promise<unknown[]> {
  const direct = directByAdapter.get(db.getExecutor().adapter);
  if (direct) return direct.run(db, sql, parameters, shape);
  const { rows } = await db.executeQuery(CompiledQuery.raw(sql, parameters));
  // pg sets a row's fields in the order of the result's columns, so they are listed in that order.
  return shape === 'values' ? rows.map((row) => Object.values(row as object)) : rows;
}

/**
 * A query whose shape never changes, only its arguments (scalars: no `in (…)` lists, whose length
 * would change the SQL). `build` gets the database and, for the arguments, marker strings that stand for them (`marker`).
 */
export function prepared<Args extends readonly (string | number)[], Row>(build: Build<Args, Row>) {
  const statement = compiledOnce(build);
  return async (db: Kysely<Database>, engine: Engine, ...args: Args): Promise<Row[]> => {
    const { sql, parameters } = statement(db, engine, args);
    return (await rowsOf(db, sql, parameters, 'objects')) as Row[];
  };
}

/**
 * A prepared query (as `prepared`) whose rows `map` makes into what the caller returns, straight
 * from the values of each row, in the order the query selects its columns: no object per row
 * keyed by column names (building those was a tenth of a sign-in's CPU on SQLite).
 */
export function preparedValues<Args extends readonly (string | number)[], Values extends readonly unknown[], T>(
  build: Build<Args, unknown>,
  map: (values: Values) => T,
) {
  const statement = compiledOnce(build);
  return async (db: Kysely<Database>, engine: Engine, ...args: Args): Promise<T[]> => {
    const { sql, parameters } = statement(db, engine, args);
    return ((await rowsOf(db, sql, parameters, 'values')) as Values[]).map(map);
  };
}
