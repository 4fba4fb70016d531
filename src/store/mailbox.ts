import type { Kysely } from 'kysely';
import type { MailboxCounts, Store } from '../core/store.ts';
import type { Database } from './schema.ts';

/** Unread-mail counts per account, as last reported (MSNP5.md 12.2). */
export class KyselyMailboxes implements Pick<Store, 'mailbox' | 'setMailbox'> {
  constructor(private readonly db: Kysely<Database>) {}

  async mailbox(accountId: number): Promise<MailboxCounts | undefined> {
    const row = await this.db
      .selectFrom('mailboxes')
      .select(['inbox_unread', 'folders_unread'])
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row && { inboxUnread: row.inbox_unread, foldersUnread: row.folders_unread };
  }

  async setMailbox(accountId: number, counts: MailboxCounts): Promise<void> {
    const fields = { inbox_unread: counts.inboxUnread, folders_unread: counts.foldersUnread };
    await this.db
      .insertInto('mailboxes')
      .values({ account_id: accountId, ...fields })
      .onConflict((oc) => oc.column('account_id').doUpdateSet(fields))
      .execute();
  }
}
