import type { Store } from '../core/store.ts';
import type { Kysely } from 'kysely';
import type { Engine, StatementTimer } from './engine.ts';
import { openPostgresDatabase, openPostgresStore, postgresEngine } from './postgres.ts';
import type { Database } from './schema.ts';
import { SecretKeySource } from './secrets.ts';
import { openSqliteDatabase, openSqliteStore, sqliteEngine } from './sqlite.ts';

export { DataDirError } from './data-dir.ts';
export { NoStoreError, SchemaTooNewError } from './migrations.ts';
export { openPostgresStore } from './postgres.ts';
export { KeyMismatchError, loadSecretKey, MissingKeyError, SecretKeyError, SecretKeySource } from './secrets.ts';
export { openSqliteStore } from './sqlite.ts';

export interface OpenStoreOptions {
  dataDir: string;
  /** postgres:// or postgresql:// selects PostgreSQL; absent or empty selects SQLite under dataDir. */
  url?: string;
  /** Defaults to SecretKeySource.resolve({ dataDir }): MSND_SECRET_KEY, else the data directory's key file. */
  secretKey?: Buffer | SecretKeySource;
  /** PostgreSQL only: a schema to create if missing and use. */
  pgSchema?: string;
  /** Told every statement's duration in seconds, and whether it failed (metrics). */
  onStatement?: StatementTimer;
  /** False: refuse (NoStoreError) a store that does not exist yet instead of creating it. Default true. */
  create?: boolean;
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const secretKey = opts.secretKey ?? SecretKeySource.resolve({ dataDir: opts.dataDir });
  const url = opts.url ?? '';
  const create = opts.create ?? true;
  if (url === '')
    return openSqliteStore({ dataDir: opts.dataDir, secretKey, create, ...(opts.onStatement && { onStatement: opts.onStatement }) });
  checkStoreUrl(url);
  return openPostgresStore({
    url,
    secretKey,
    create,
    ...(opts.pgSchema !== undefined && { schema: opts.pgSchema }),
    ...(opts.onStatement && { onStatement: opts.onStatement }),
  });
}

/** The store's tables without the Store interface (export, import, bulk creation); no key needed. */
export interface StoreDatabase {
  db: Kysely<Database>;
  engine: Engine;
  close(): Promise<void>;
}

/** Opens (and migrates) the store's database; `mustExist` refuses a store that does not exist yet (NoStoreError). */
export async function openStoreDatabase(opts: Omit<OpenStoreOptions, 'secretKey'> & { mustExist?: boolean }): Promise<StoreDatabase> {
  const url = opts.url ?? '';
  const create = !(opts.mustExist ?? false);
  let db: Kysely<Database>;
  let engine: Engine;
  if (url === '') {
    db = await openSqliteDatabase({ dataDir: opts.dataDir, create });
    engine = sqliteEngine;
  } else {
    checkStoreUrl(url);
    db = await openPostgresDatabase({ url, create, ...(opts.pgSchema !== undefined && { schema: opts.pgSchema }) });
    engine = postgresEngine;
  }
  return { db, engine, close: () => db.destroy() };
}

/**
 * A store URL is a postgres:// or postgresql:// URL with a host; anything else (another scheme,
 * `postgres:/host/db` with one slash) is a misconfiguration, not a request for SQLite. The message
 * never repeats the URL (it may hold a password).
 */
export function checkStoreUrl(url: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new Error(
      scheme === undefined
        ? 'store URL: expected postgres://USER@HOST[:PORT]/DATABASE (leave it unset for SQLite in the data directory)'
        : `store URL: unsupported scheme "${scheme}:" (only postgres:// and postgresql://; leave it unset for SQLite in the data directory)`,
    );
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (
    parsed === undefined ||
    !url.slice(scheme.length + 1).startsWith('//') ||
    (parsed.hostname === '' && !parsed.searchParams.has('host'))
  ) {
    throw new Error(`store URL: malformed ${scheme}:// URL, expected ${scheme}://USER@HOST[:PORT]/DATABASE`);
  }
}
