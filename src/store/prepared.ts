// Statements built and compiled once per engine, then executed with new arguments: kysely builds
// and compiles every query anew, which was two fifths of a sign-in's CPU (bench/ --profile). The
// SQL text is then the same each time, so better-sqlite3's statement cache (sqlite.ts) and
// PostgreSQL's plan cache see one statement.
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Engine, EngineKind } from './engine.ts';
import type { Database } from './schema.ts';

/** Stands for argument `i` while the statement is built: a string no caller's value can be. */
const marker = (i: number): string => `\u0000msnd prepared argument ${i}\u0000`;

/** One parameter of the compiled statement: the caller's argument `i`, or a constant of the built query. */
type Slot = { arg: number } | { value: unknown };

interface Compiled {
  sql: string;
  slots: Slot[];
}

/**
 * A query whose shape never changes, only its arguments (scalars: no `in (…)` lists, whose length
 * would change the SQL). `build` gets the database and placeholders to use as the arguments.
 */
export function prepared<Args extends readonly (string | number)[], Row>(
  build: (db: Kysely<Database>, engine: Engine, ...args: Args) => Compilable<Row>,
) {
  const byEngine = new Map<EngineKind, Compiled>();
  const compile = (db: Kysely<Database>, engine: Engine, arity: number): Compiled => {
    const markers = Array.from({ length: arity }, (_, i) => marker(i)) as unknown as Args;
    const { sql, parameters } = build(db, engine, ...markers).compile();
    const slots = parameters.map((value): Slot => {
      const arg = typeof value === 'string' ? markers.indexOf(value) : -1;
      return arg >= 0 ? { arg } : { value };
    });
    return { sql, slots };
  };
  return async (db: Kysely<Database>, engine: Engine, ...args: Args): Promise<Row[]> => {
    let compiled = byEngine.get(engine.kind);
    if (!compiled) byEngine.set(engine.kind, (compiled = compile(db, engine, args.length)));
    const parameters = compiled.slots.map((slot) => ('arg' in slot ? args[slot.arg] : slot.value));
    const { rows } = await db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return rows;
  };
}
