import type { Insertable, Kysely, Selectable } from 'kysely';
import { directoryKey } from '../core/directory.ts';
import type { DirectoryEntry, DirectoryHit, DirectoryQuery, Store } from '../core/store.ts';
import type { Engine } from './engine.ts';
import type { Database, DirectoryTable } from './schema.ts';

/** The member directory (MSNP5.md 9.17): entries kept with case-folded keys to search on. */
export class KyselyDirectory implements Pick<Store, 'directoryEntry' | 'setDirectoryEntry' | 'searchDirectory'> {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
  ) {}

  async directoryEntry(accountId: number): Promise<DirectoryEntry | undefined> {
    const row = await this.db.selectFrom('directory').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    return row && { listed: Boolean(row.listed), ...toDirectoryFields(row) };
  }

  async setDirectoryEntry(accountId: number, entry: DirectoryEntry | null): Promise<void> {
    if (entry === null) {
      await this.db.deleteFrom('directory').where('account_id', '=', accountId).execute();
      return;
    }
    const fields = directoryRow(entry, this.engine);
    await this.db
      .insertInto('directory')
      .values({ account_id: accountId, ...fields })
      .onConflict((oc) => oc.column('account_id').doUpdateSet(fields))
      .execute();
  }

  async searchDirectory(query: DirectoryQuery, limit: number): Promise<DirectoryHit[]> {
    let select = this.db
      .selectFrom('directory')
      .selectAll()
      .where('listed', '=', this.engine.flag(true))
      .where('first_key', '=', directoryKey(query.firstName))
      .where('last_key', '=', directoryKey(query.lastName));
    if (query.city !== undefined) select = select.where('city_key', '=', directoryKey(query.city));
    if (query.state !== undefined) select = select.where('state_key', '=', directoryKey(query.state));
    if (query.country !== undefined) select = select.where('country_key', '=', directoryKey(query.country));
    const rows = await select.orderBy('account_id').limit(limit).execute();
    return rows.map((row) => ({ accountId: row.account_id, ...toDirectoryFields(row) }));
  }
}

function directoryRow(entry: DirectoryEntry, engine: Engine) {
  return {
    listed: engine.flag(entry.listed),
    first_name: entry.firstName,
    last_name: entry.lastName,
    city: entry.city,
    state: entry.state,
    country: entry.country,
    first_key: directoryKey(entry.firstName),
    last_key: directoryKey(entry.lastName),
    city_key: directoryKey(entry.city),
    state_key: directoryKey(entry.state),
    country_key: directoryKey(entry.country),
  } as const satisfies Omit<Insertable<DirectoryTable>, 'account_id'>;
}

function toDirectoryFields(row: Selectable<DirectoryTable>): Omit<DirectoryEntry, 'listed'> {
  return { firstName: row.first_name, lastName: row.last_name, city: row.city, state: row.state, country: row.country };
}
