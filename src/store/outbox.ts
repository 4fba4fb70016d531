import { type Kysely, type Selectable, sql } from 'kysely';
import type { NewOutboxItem, OutboxItem, OutboxRecord, Store, StoreBacklog } from '../core/store.ts';
import type { Database, OutboxTable } from './schema.ts';

/** E-mails and pages waiting for delivery (MSNP5.md 9.18–9.20), claimed by lease. */
export class KyselyOutbox
  implements
    Pick<
      Store,
      'enqueueOutbox' | 'nextOutbox' | 'markOutboxSent' | 'markOutboxFailed' | 'outboxItem' | 'failedOutbox' | 'retryOutbox' | 'dropOutbox'
    >
{
  constructor(private readonly db: Kysely<Database>) {}

  /** Unsent items by kind: waiting (due_at set) or given up (due_at null). */
  async backlog(): Promise<StoreBacklog['outbox']> {
    const rows = await this.db
      .selectFrom('outbox')
      .select((eb) => [
        'kind',
        eb.fn.countAll<number>().as('count'),
        sql<number>`case when due_at is null then 1 else 0 end`.as('given_up'),
      ])
      .where('sent_at', 'is', null)
      .groupBy(['kind', sql`case when due_at is null then 1 else 0 end`])
      .execute();
    return rows.map((row) => ({ kind: row.kind, state: Number(row.given_up) === 1 ? 'given-up' : 'waiting', count: Number(row.count) }));
  }

  async enqueueOutbox(item: NewOutboxItem, now: number): Promise<number> {
    const { id } = await this.db
      .insertInto('outbox')
      .values({ ...item, created_at: now, due_at: now, sent_at: null, attempts: 0, last_error: '' })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  }

  async nextOutbox(now: number, leaseMs: number): Promise<OutboxItem | undefined> {
    // Optimistic claim: another worker that took the same row first changed its due_at.
    for (let tries = 0; tries < 10; tries++) {
      const due = await this.db
        .selectFrom('outbox')
        .select(['id', 'due_at'])
        .where('due_at', '<=', now)
        .orderBy('due_at')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (due === undefined) return undefined;
      const claimed = await this.db
        .updateTable('outbox')
        .set((eb) => ({ due_at: now + leaseMs, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', due.id)
        .where('due_at', '=', Number(due.due_at))
        .returningAll()
        .executeTakeFirst();
      if (claimed) return toOutboxItem(claimed);
    }
    return undefined;
  }

  async markOutboxSent(id: number, now: number): Promise<void> {
    await this.db.updateTable('outbox').set({ sent_at: now, due_at: null }).where('id', '=', id).execute();
  }

  async markOutboxFailed(id: number, error: string, retryAt: number | null): Promise<void> {
    const lastError = error.slice(0, 1000);
    await this.db.updateTable('outbox').set({ last_error: lastError, due_at: retryAt }).where('id', '=', id).execute();
  }

  async outboxItem(id: number): Promise<OutboxRecord | undefined> {
    const row = await this.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toOutboxRecord(row);
  }

  async failedOutbox(limit: number): Promise<OutboxRecord[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('sent_at', 'is', null)
      .where((eb) => eb.or([eb('due_at', 'is', null), eb('last_error', '!=', '')]))
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toOutboxRecord);
  }

  async retryOutbox(id: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('outbox')
      .set({ due_at: now, attempts: 0 })
      .where('id', '=', id)
      .where('sent_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async dropOutbox(id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('outbox').where('id', '=', id).where('sent_at', 'is', null).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

function toOutboxRecord(row: Selectable<OutboxTable>): OutboxRecord {
  return {
    ...toOutboxItem(row),
    dueAt: row.due_at === null ? null : Number(row.due_at),
    sentAt: row.sent_at === null ? null : Number(row.sent_at),
    lastError: row.last_error,
  };
}

function toOutboxItem(row: Selectable<OutboxTable>): OutboxItem {
  return {
    id: row.id,
    kind: row.kind,
    recipient: row.recipient,
    sender: row.sender,
    subject: row.subject,
    body: row.body,
    callback: row.callback,
    createdAt: Number(row.created_at),
    attempts: row.attempts,
  };
}
