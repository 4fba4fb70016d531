// `msnd user import`: many accounts created in one transaction per batch.
import type { NewAccount } from '../core/store.ts';
import { DEFAULT_GROUP_ID, DEFAULT_GROUP_NAME } from '../core/types.ts';
import { newAccountRow } from './account-rows.ts';
import type { StoreDatabase } from './open.ts';
import { encryptSecret } from './secrets.ts';

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
