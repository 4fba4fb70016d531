// `msnd user import`: many accounts created in one transaction per batch.
import { sql } from 'kysely';
import type { NewAccount } from '../core/store.ts';
import { DEFAULT_GROUP_ID, DEFAULT_GROUP_NAME } from '../core/types.ts';
import { newAccountRow } from './account-rows.ts';
import type { StoreDatabase } from './open.ts';
import { encryptSecret } from './secrets.ts';

/** The tables a batch writes that sign-ins read (the audit log is read only by `msnd audit`). */
export const IMPORTED_TABLES = ['accounts', 'contact_groups'] as const;

export interface BatchOutcome {
  /** Handles created. */
  created: string[];
  /** Handles refused because an account of that handle exists (or comes earlier in the batch). */
  existing: string[];
}

/** Who the audit log names for the accounts created, and when (as `msnd user add` writes them). */
export interface BatchAudit {
  actor: string;
  at: number;
}

/**
 * Creates the accounts (each with its group 0, as createAccount does) and their audit entries
 * (`add`, detail `import`) in one transaction. A handle that exists already is skipped, not an
 * error: `on conflict do nothing` keeps the transaction alive on PostgreSQL, where a failed
 * statement would abort it.
 */
export async function createAccountsBatch(
  store: StoreDatabase,
  secretKey: Buffer,
  inputs: readonly NewAccount[],
  audit: BatchAudit,
): Promise<BatchOutcome> {
  if (inputs.length === 0) return { created: [], existing: [] };
  const seen = new Set<string>();
  const existing: string[] = [];
  const rows: ReturnType<typeof newAccountRow>[] = [];
  for (const input of inputs) {
    const handle = input.handle.toLowerCase();
    if (seen.has(handle)) {
      existing.push(handle);
      continue;
    }
    seen.add(handle);
    rows.push(newAccountRow({ ...input, handle }, store.engine, encryptSecret(secretKey, input.secret, handle)));
  }
  return store.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('accounts')
      .values(rows)
      .onConflict((oc) => oc.column('handle').doNothing())
      .returning(['id', 'handle'])
      .execute();
    if (inserted.length > 0) {
      await trx
        .insertInto('contact_groups')
        .values(inserted.map((row) => ({ account_id: row.id, group_id: DEFAULT_GROUP_ID, name: DEFAULT_GROUP_NAME })))
        .execute();
      await trx
        .insertInto('audit_log')
        .values(inserted.map((row) => ({ at: audit.at, actor: audit.actor, action: 'add', target: row.handle, detail: 'import' })))
        .execute();
    }
    const created = new Set(inserted.map((row) => row.handle));
    for (const row of rows) if (!created.has(row.handle)) existing.push(row.handle);
    return { created: rows.map((row) => row.handle).filter((h) => created.has(h)), existing };
  });
}

/**
 * After many rows arrive at once (`msnd import`, `msnd user import`): PostgreSQL's planner statistics
 * of those tables taken now, as pg_restore's documentation advises. Without them the first plans of
 * a new store are made blind (a sign-in's contact-list join became a hash join over every account,
 * several times the CPU, in the benchmark before it ran ANALYZE) until autovacuum gets to the
 * tables, a minute or so later, or never where it is off. SQLite: nothing; msnd's SQLite store runs
 * without statistics tables, and adding them would change its plans from those it is tested with.
 */
export async function refreshPlannerStatistics(store: StoreDatabase, tables: readonly string[]): Promise<void> {
  if (store.engine.kind !== 'postgres' || tables.length === 0) return;
  await sql`analyze ${sql.join(tables.map((table) => sql.table(table)))}`.execute(store.db);
}
