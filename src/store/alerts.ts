import { sql, type Kysely } from 'kysely';
import { UnknownRecipientError } from '../core/store.ts';
import type { NewAlert, PendingAlert, Store } from '../core/store.ts';
import type { Engine } from './engine.ts';
import type { ListsClock } from './lists-clock.ts';
import { anyPendingAlert } from './hot-reads.ts';
import type { Database } from './schema.ts';

/** Alerts (MSNP5.md 9.21) and their pending deliveries, one row per recipient. */
export class KyselyAlerts implements Pick<Store, 'createAlert' | 'pendingAlerts' | 'claimAlert' | 'expireAlerts'> {
  /** SQLite: the clock's reading at which no alert was pending (lists-clock.ts). */
  private noneAt: number | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    /** SQLite only: proves that nothing was written since (PostgreSQL is written by other nodes). */
    private readonly clock?: ListsClock,
  ) {}

  createAlert(alert: NewAlert): Promise<{ id: number; recipients: number }> {
    return this.db.transaction().execute(async (trx) => {
      const accountIds = alert.recipients === 'all' ? undefined : await recipientIds(trx, alert.recipients);
      const { id } = await trx
        .insertInto('alerts')
        .values({ text: alert.text, url: alert.url, created_at: Math.floor(Date.now() / 1000) })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (accountIds?.length === 0) return { id, recipients: 0 };
      let recipients = trx.selectFrom('accounts').select(['id', sql<number>`${sql.lit(id)}`.as('alert_id')]);
      if (accountIds !== undefined) recipients = recipients.where('id', 'in', accountIds);
      const result = await trx.insertInto('pending_alerts').columns(['account_id', 'alert_id']).expression(recipients).executeTakeFirst();
      return { id, recipients: Number(result.numInsertedOrUpdatedRows ?? 0n) };
    });
  }

  async pendingAlerts(accountIds: readonly number[]): Promise<PendingAlert[]> {
    // The server asks every second for all its online accounts; usually nothing is pending at all.
    if (accountIds.length === 0 || !(await this.anyPendingAlert())) return [];
    const found: PendingAlert[] = [];
    for (let i = 0; i < accountIds.length; i += ID_CHUNK) {
      const rows = await this.db
        .selectFrom('pending_alerts as p')
        .innerJoin('alerts as a', 'a.id', 'p.alert_id')
        .select(['p.account_id', 'a.id', 'a.text', 'a.url', 'a.created_at'])
        .where('p.account_id', 'in', accountIds.slice(i, i + ID_CHUNK))
        .execute();
      for (const row of rows) {
        found.push({ accountId: row.account_id, alert: { id: row.id, text: row.text, url: row.url, createdAt: Number(row.created_at) } });
      }
    }
    return found.sort((x, y) => x.alert.id - y.alert.id || x.accountId - y.accountId);
  }

  /**
   * Whether any alert waits for anyone: asked at every sign-in and every second. Not read again on
   * SQLite while no write but the sign-in records happened, on this connection or any other (the
   * CLI's `msnd alert send`), since a read that found none: the clock is read before, so a write
   * during the read moves it.
   */
  private async anyPendingAlert(): Promise<boolean> {
    const at = this.clock?.now();
    if (at !== undefined && at === this.noneAt) return false;
    const rows = await anyPendingAlert(this.db, this.engine);
    this.noneAt = rows.length === 0 ? at : undefined;
    return rows.length > 0;
  }

  async claimAlert(accountId: number, alertId: number): Promise<boolean> {
    // One DELETE: whichever deliverer removes the row delivers; the others see 0 rows.
    const result = await this.db
      .deleteFrom('pending_alerts')
      .where('account_id', '=', accountId)
      .where('alert_id', '=', alertId)
      .executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  async expireAlerts(createdBefore: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      // Explicitly, not by the foreign key's cascade: SQLite enforces it only with foreign_keys on.
      const old = trx.selectFrom('alerts').select('id').where('created_at', '<', createdBefore);
      await trx.deleteFrom('pending_alerts').where('alert_id', 'in', old).execute();
      const result = await trx.deleteFrom('alerts').where('created_at', '<', createdBefore).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}

/** Ids per IN list: well below the bound-parameter limits of both engines. */
const ID_CHUNK = 500;

async function recipientIds(trx: Kysely<Database>, handles: readonly string[]): Promise<number[]> {
  const wanted = [...new Set(handles.map((h) => h.toLowerCase()))];
  if (wanted.length === 0) return [];
  const rows = await trx.selectFrom('accounts').select(['id', 'handle']).where('handle', 'in', wanted).execute();
  const missing = wanted.filter((handle) => !rows.some((row) => row.handle === handle));
  if (missing.length > 0) throw new UnknownRecipientError(missing);
  return rows.map((row) => row.id);
}
