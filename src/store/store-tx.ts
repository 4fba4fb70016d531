import { sql, type Kysely } from 'kysely';
import type { AuditEntry, RemovedRecord, SessionNotice } from '../core/admin-store.ts';
import type { AccountPatch, ContactWithFacts, ContactWrite, StoreTx, Watcher } from '../core/store.ts';
import { DEFAULT_GROUP_ID } from '../core/types.ts';
import type { Account, ContactEntry, ContactGroup, ListName, PrivacyFacts } from '../core/types.ts';
import { ACCOUNT_COLUMNS, accountChanges, nextListVersion, toAccount } from './account-rows.ts';
import { CONTACT_COLUMNS, toContactEntry } from './contact-rows.ts';
import type { Engine } from './engine.ts';
import * as hot from './hot-reads.ts';
import type { ContactsTable, Database } from './schema.ts';

const LIST_COLUMNS = { FL: 'fl', AL: 'al', BL: 'bl', RL: 'rl' } as const satisfies Record<ListName, keyof ContactsTable>;

/** StoreTx on a kysely connection: a transaction, or the plain database for one-statement reads. */
export class KyselyStoreTx implements StoreTx {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
  ) {}

  async accountById(id: number): Promise<Account | undefined> {
    const [account] = await hot.accountById(this.db, this.engine, id);
    return account;
  }

  async accountByHandle(handle: string): Promise<Account | undefined> {
    const [account] = await hot.accountByHandle(this.db, this.engine, handle.toLowerCase());
    return account;
  }

  async accountsByIds(ids: readonly number[]): Promise<Map<number, Account>> {
    if (ids.length === 0) return new Map();
    const rows = await this.accounts()
      .where('id', 'in', [...ids])
      .execute();
    return new Map(rows.map((row) => [row.id, toAccount(row)]));
  }

  async listAccounts(): Promise<Account[]> {
    const rows = await this.accounts().orderBy('id').execute();
    return rows.map(toAccount);
  }

  lockAccounts(ids: readonly number[]): Promise<void> {
    return this.engine.lockAccounts(this.db, ids);
  }

  contacts(ownerId: number): Promise<ContactEntry[]> {
    return hot.contactsOf(this.db, this.engine, ownerId);
  }

  async contact(ownerId: number, contactId: number): Promise<ContactEntry | undefined> {
    const row = await this.contactRows(ownerId).where('c.contact_id', '=', contactId).executeTakeFirst();
    return row && toContactEntry(row);
  }

  async countList(ownerId: number, list: ListName): Promise<number> {
    const row = await this.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_id', '=', ownerId)
      .where(LIST_COLUMNS[list], '=', this.engine.flag(true))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async saveContact(ownerId: number, contactId: number, write: ContactWrite): Promise<void> {
    const { lists } = write;
    if (!lists.FL && !lists.AL && !lists.BL && !lists.RL) {
      await this.db.deleteFrom('contacts').where('owner_id', '=', ownerId).where('contact_id', '=', contactId).execute();
      return;
    }
    const { flag } = this.engine;
    const fields = {
      fl: flag(lists.FL),
      al: flag(lists.AL),
      bl: flag(lists.BL),
      rl: flag(lists.RL),
      name: write.name,
      group_ids: storedGroups(write),
    };
    const nextSeq = sql<number>`(select coalesce(max(seq), 0) + 1 from contacts where owner_id = ${ownerId})`;
    await this.db
      .insertInto('contacts')
      .values({ owner_id: ownerId, contact_id: contactId, ...fields, seq: nextSeq })
      .onConflict((oc) => oc.columns(['owner_id', 'contact_id']).doUpdateSet(fields))
      .execute();
  }

  async updateAccount(id: number, patch: AccountPatch): Promise<void> {
    const changes = accountChanges(patch, this.engine);
    if (Object.keys(changes).length === 0) return;
    await this.db.updateTable('accounts').set(changes).where('id', '=', id).execute();
  }

  async bumpVersion(id: number): Promise<number> {
    const row = await this.db
      .updateTable('accounts')
      .set({ list_version: nextListVersion })
      .where('id', '=', id)
      .returning('list_version')
      .executeTakeFirst();
    if (row === undefined) throw new Error(`bumpVersion: no account with id ${id}`);
    return Number(row.list_version);
  }

  async groups(ownerId: number): Promise<ContactGroup[]> {
    const rows = await this.db
      .selectFrom('contact_groups')
      .select(['group_id', 'name'])
      .where('account_id', '=', ownerId)
      .orderBy('group_id')
      .execute();
    return rows.map((row) => ({ id: row.group_id, name: row.name }));
  }

  async saveGroup(ownerId: number, group: ContactGroup): Promise<void> {
    await this.db
      .insertInto('contact_groups')
      .values({ account_id: ownerId, group_id: group.id, name: group.name })
      .onConflict((oc) => oc.columns(['account_id', 'group_id']).doUpdateSet({ name: group.name }))
      .execute();
  }

  async deleteGroup(ownerId: number, groupId: number): Promise<void> {
    await this.db.deleteFrom('contact_groups').where('account_id', '=', ownerId).where('group_id', '=', groupId).execute();
  }

  watchers(ownerId: number): Promise<Watcher[]> {
    return hot.watchersOf(this.db, this.engine, ownerId);
  }

  contactsWithFacts(ownerId: number): Promise<ContactWithFacts[]> {
    return hot.contactsWithFactsOf(this.db, this.engine, ownerId);
  }

  async privacyTowards(viewerId: number, ownerIds: readonly number[]): Promise<Map<number, PrivacyFacts>> {
    if (ownerIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('accounts as o')
      .leftJoin('contacts as c', (join) => join.onRef('c.owner_id', '=', 'o.id').on('c.contact_id', '=', viewerId))
      .select(['o.id', 'o.blp', 'c.al', 'c.bl'])
      .where('o.id', 'in', [...ownerIds])
      .execute();
    return new Map(rows.map((row) => [row.id, { blp: row.blp, viewerOnAL: Boolean(row.al), viewerOnBL: Boolean(row.bl) }]));
  }

  /** Bumps every other account holding a record of this one, then deletes it (records cascade). */
  async deleteAccount(id: number): Promise<void> {
    await this.db
      .updateTable('accounts')
      .set({ list_version: nextListVersion })
      .where('id', 'in', (eb) => eb.selectFrom('contacts').select('owner_id').where('contact_id', '=', id))
      .where('id', '<>', id)
      .execute();
    await this.db.deleteFrom('accounts').where('id', '=', id).execute();
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.db.insertInto('audit_log').values(entry).execute();
  }

  async addNotice(handle: string, notice: SessionNotice, now: number): Promise<void> {
    await this.db
      .insertInto('session_notices')
      .values({ handle, body: JSON.stringify(notice), created_at: now })
      .execute();
  }

  async removeAccount(id: number): Promise<RemovedRecord[]> {
    const rows = await this.db
      .selectFrom('contacts as c')
      .innerJoin('accounts as o', 'o.id', 'c.owner_id')
      .select(['o.id', 'o.handle', 'c.fl', 'c.al', 'c.bl', 'c.rl'])
      .where('c.contact_id', '=', id)
      .where('c.owner_id', '<>', id)
      .orderBy('o.id')
      .execute();
    await this.lockAccounts(rows.map((row) => row.id));
    const removed: RemovedRecord[] = [];
    for (const row of rows) {
      const lists = (['FL', 'AL', 'BL', 'RL'] as const).filter((list) => Boolean(row[LIST_COLUMNS[list]]));
      const versions: number[] = [];
      for (const _ of lists) versions.push(await this.bumpVersion(row.id));
      removed.push({ owner: row.handle, lists, versions });
    }
    await this.db.deleteFrom('accounts').where('id', '=', id).execute();
    return removed;
  }

  private accounts() {
    return this.db.selectFrom('accounts').select(ACCOUNT_COLUMNS);
  }

  private contactRows(ownerId: number) {
    return this.db
      .selectFrom('contacts as c')
      .innerJoin('accounts as a', 'a.id', 'c.contact_id')
      .select(CONTACT_COLUMNS)
      .where('c.owner_id', '=', ownerId);
  }
}

/**
 * An FL record is always in some group, group 0 when no writer said otherwise, and only FL
 * records have groups (MSNP5.md 9.8, 9.29): clients of every dialect then see one FL.
 */
function storedGroups({ lists, groups }: ContactWrite): string {
  if (!lists.FL) return '';
  return groups.length > 0 ? groups.join(',') : String(DEFAULT_GROUP_ID);
}
