import type { Kysely } from 'kysely';
import type { Store } from '../core/store.ts';
import type { Engine } from './engine.ts';
import { openPostgresDatabase, openPostgresStore, postgresEngine } from './postgres.ts';
import type { Database } from './schema.ts';
import { loadSecretKey } from './secrets.ts';
import { openSqliteDatabase, openSqliteStore, sqliteEngine } from './sqlite.ts';

export { openPostgresStore } from './postgres.ts';
export { openSqliteStore } from './sqlite.ts';
export { SchemaTooNewError } from './migrations.ts';
export { SecretKeyError, loadSecretKey } from './secrets.ts';

export interface OpenStoreOptions {
  dataDir: string;
  /** postgres:// or postgresql:// selects PostgreSQL; absent selects SQLite under dataDir. */
  url?: string;
  /** Defaults to loadSecretKey({ dataDir }). */
  secretKey?: Buffer;
  /** PostgreSQL only: a schema to create if missing and use. */
  pgSchema?: string;
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const secretKey = opts.secretKey ?? loadSecretKey({ dataDir: opts.dataDir });
  const url = opts.url ?? '';
  if (isPostgresUrl(url)) {
    return openPostgresStore({ url, secretKey, ...(opts.pgSchema !== undefined && { schema: opts.pgSchema }) });
  }
  refuseOtherScheme(url);
  return openSqliteStore({ dataDir: opts.dataDir, secretKey });
}

/** The store's tables without the Store interface (export, import, bulk creation); no key needed. */
export interface StoreDatabase {
  db: Kysely<Database>;
  engine: Engine;
  close(): Promise<void>;
}

/** Opens (and migrates) the store's database; `mustExist` refuses a data directory holding no SQLite store. */
export async function openStoreDatabase(opts: Omit<OpenStoreOptions, 'secretKey'> & { mustExist?: boolean }): Promise<StoreDatabase> {
  const url = opts.url ?? '';
  let db: Kysely<Database>;
  let engine: Engine;
  if (isPostgresUrl(url)) {
    db = await openPostgresDatabase({ url, ...(opts.pgSchema !== undefined && { schema: opts.pgSchema }) });
    engine = postgresEngine;
  } else {
    refuseOtherScheme(url);
    db = await openSqliteDatabase(opts.dataDir, { mustExist: opts.mustExist ?? false });
    engine = sqliteEngine;
  }
  return { db, engine, close: () => db.destroy() };
}

function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

function refuseOtherScheme(url: string): void {
  // A URL of another kind is a misconfiguration, not a request for SQLite.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new Error(`unsupported store URL scheme: ${url.split(':')[0]}`);
}
