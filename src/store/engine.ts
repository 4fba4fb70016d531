import type { Kysely, LogEvent } from 'kysely';
import type { Database, Flag } from './schema.ts';

export type EngineKind = 'sqlite' | 'postgres';

/** Everything that differs between the two engines; the rest of the store is one kysely code path. */
export interface Engine {
  readonly kind: EngineKind;
  /** The value to bind for a boolean column (better-sqlite3 cannot bind booleans). */
  flag(value: boolean): Flag;
  isUniqueViolation(err: unknown): boolean;
  /** Row locks in id order inside a transaction; a no-op where transactions are serial. */
  lockAccounts(trx: Kysely<Database>, ids: readonly number[]): Promise<void>;
  tableExists(db: Kysely<any>, table: string): Promise<boolean>;
  /** Where kysely's migration tables live (undefined: the engine's only schema). */
  migrationTableSchema(db: Kysely<any>): Promise<string | undefined>;
}

export function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

/** Told the duration of every statement (seconds) and whether it failed: the server's latency metric. */
export type StatementTimer = (seconds: number, failed: boolean) => void;

/** kysely's per-query `log` option feeding a StatementTimer (none: kysely logs nothing). */
export function timedStatements(timer: StatementTimer | undefined): { log?: (event: LogEvent) => void } {
  return timer ? { log: (event) => timer(event.queryDurationMillis / 1000, event.level === 'error') } : {};
}
