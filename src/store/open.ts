import type { Store } from '../core/store.ts';
import type { StatementTimer } from './engine.ts';
import { openPostgresStore } from './postgres.ts';
import { loadSecretKey } from './secrets.ts';
import { openSqliteStore } from './sqlite.ts';

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
  /** Told every statement's duration in seconds, and whether it failed (metrics). */
  onStatement?: StatementTimer;
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const secretKey = opts.secretKey ?? loadSecretKey({ dataDir: opts.dataDir });
  const url = opts.url ?? '';
  if (/^postgres(ql)?:\/\//i.test(url)) {
    return openPostgresStore({
      url,
      secretKey,
      ...(opts.pgSchema !== undefined && { schema: opts.pgSchema }),
      ...(opts.onStatement && { onStatement: opts.onStatement }),
    });
  }
  // A URL of another kind is a misconfiguration, not a request for SQLite.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new Error(`unsupported store URL scheme: ${url.split(':')[0]}`);
  return openSqliteStore({ dataDir: opts.dataDir, secretKey, ...(opts.onStatement && { onStatement: opts.onStatement }) });
}
