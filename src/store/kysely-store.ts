import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import { directoryKey } from '../core/directory.ts';
import { AccountExistsError, UnknownRecipientError } from '../core/store.ts';
import type {
  AccountPatch,
  ContactWrite,
  DirectoryEntry,
  DirectoryHit,
  DirectoryQuery,
  MailboxCounts,
  NewAccount,
  NewAlert,
  NewOutboxItem,
  OutboxItem,
  OutboxRecord,
  PendingAlert,
  Store,
  ContactWithFacts,
  StoreTx,
  Watcher,
} from '../core/store.ts';
import { DEFAULT_GROUP_ID, DEFAULT_GROUP_NAME, DEFAULT_PROFILE, NO_PHONES } from '../core/types.ts';
import type { Account, ContactEntry, ContactGroup, ListName, Phones, PrivacyFacts, Profile } from '../core/types.ts';
import type { Engine } from './engine.ts';
import type { AccountsTable, ContactsTable, Database, DirectoryTable, OutboxTable } from './schema.ts';
import { decryptSecret, encryptSecret } from './secrets.ts';

const MAX_LIST_VERSION = 4294967295;

/** The next list version of the row being updated: +1, and after 4294967295 comes 1 (MSNP5.md 8.4). */
const nextListVersion = sql<number>`case when list_version >= ${sql.lit(MAX_LIST_VERSION)} then 1 else list_version + 1 end`;

const ACCOUNT_COLUMNS = [
  'id',
  'handle',
  'friendly_name',
  'verified',
  'kid',
  'list_version',
  'gtc',
  'blp',
  'phh',
  'phw',
  'phm',
  'mob',
  'mbe',
  'lang_preference',
  'preferred_email',
  'country',
  'postal_code',
  'gender',
  'age',
  'bday_pre',
  'birthday',
  'wallet',
  'created_at',
] as const satisfies readonly (keyof AccountsTable)[];

type AccountRow = Pick<Selectable<AccountsTable>, (typeof ACCOUNT_COLUMNS)[number]>;

const LIST_COLUMNS = { FL: 'fl', AL: 'al', BL: 'bl', RL: 'rl' } as const satisfies Record<ListName, keyof ContactsTable>;

const PHONE_COLUMNS = {
  PHH: 'phh',
  PHW: 'phw',
  PHM: 'phm',
  MOB: 'mob',
  MBE: 'mbe',
} as const satisfies Record<keyof Phones, keyof AccountsTable>;

const PROFILE_COLUMNS = {
  langPreference: 'lang_preference',
  preferredEmail: 'preferred_email',
  country: 'country',
  postalCode: 'postal_code',
  gender: 'gender',
  age: 'age',
  bdayPre: 'bday_pre',
  birthday: 'birthday',
  wallet: 'wallet',
} as const satisfies Record<keyof Profile, keyof AccountsTable>;

/** StoreTx on a kysely connection: a transaction, or the plain database for one-statement reads. */
export class KyselyStoreTx implements StoreTx {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
  ) {}

  async accountById(id: number): Promise<Account | undefined> {
    const row = await this.accounts().where('id', '=', id).executeTakeFirst();
    return row && toAccount(row);
  }

  async accountByHandle(handle: string): Promise<Account | undefined> {
    const row = await this.accounts().where('handle', '=', handle.toLowerCase()).executeTakeFirst();
    return row && toAccount(row);
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

  async contacts(ownerId: number): Promise<ContactEntry[]> {
    const rows = await this.contactRows(ownerId).orderBy('c.seq').orderBy('c.contact_id').execute();
    return rows.map(toContactEntry);
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

  async watchers(ownerId: number): Promise<Watcher[]> {
    const rows = await this.db
      .selectFrom('contacts as c')
      .innerJoin('accounts as a', 'a.id', 'c.contact_id')
      .select(['a.handle', 'c.al', 'c.bl'])
      .where('c.owner_id', '=', ownerId)
      .where('c.rl', '=', this.engine.flag(true))
      .execute();
    return rows.map((row) => ({ handle: row.handle, onAL: Boolean(row.al), onBL: Boolean(row.bl) }));
  }

  async contactsWithFacts(ownerId: number): Promise<ContactWithFacts[]> {
    const rows = await this.contactRows(ownerId)
      .leftJoin('contacts as r', (join) => join.onRef('r.owner_id', '=', 'c.contact_id').on('r.contact_id', '=', ownerId))
      .select(['a.blp', 'a.phh', 'a.phw', 'a.phm', 'a.mob', 'a.mbe', 'r.al as r_al', 'r.bl as r_bl'])
      .orderBy('c.seq')
      .orderBy('c.contact_id')
      .execute();
    return rows.map((row) => ({
      ...toContactEntry(row),
      phones: { PHH: row.phh, PHW: row.phw, PHM: row.phm, MOB: row.mob, MBE: row.mbe },
      facts: { blp: row.blp, viewerOnAL: Boolean(row.r_al), viewerOnBL: Boolean(row.r_bl) },
    }));
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

  private accounts() {
    return this.db.selectFrom('accounts').select(ACCOUNT_COLUMNS);
  }

  private contactRows(ownerId: number) {
    return this.db
      .selectFrom('contacts as c')
      .innerJoin('accounts as a', 'a.id', 'c.contact_id')
      .select(['c.contact_id', 'a.handle', 'c.name', 'c.fl', 'c.al', 'c.bl', 'c.rl', 'c.group_ids'])
      .where('c.owner_id', '=', ownerId);
  }
}

/** Store on kysely; the engine-specific parts come in through `engine`. */
export class KyselyStore implements Store {
  readonly kind: Store['kind'];
  private readonly outsideTransaction: KyselyStoreTx;
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly secretKey: Buffer,
  ) {
    this.kind = engine.kind;
    this.outsideTransaction = new KyselyStoreTx(db, engine);
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new KyselyStoreTx(trx, this.engine)));
  }

  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return fn(this.outsideTransaction);
  }

  findAccount(handle: string): Promise<Account | undefined> {
    return this.outsideTransaction.accountByHandle(handle);
  }

  listAccounts(): Promise<Account[]> {
    return this.outsideTransaction.listAccounts();
  }

  async createAccount(input: NewAccount): Promise<Account> {
    const handle = input.handle.toLowerCase();
    const secretEnc = encryptSecret(this.secretKey, input.secret, handle);
    try {
      return await this.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('accounts')
          .values(newAccountRow({ ...input, handle }, this.engine, secretEnc))
          .returning(ACCOUNT_COLUMNS)
          .executeTakeFirstOrThrow();
        await new KyselyStoreTx(trx, this.engine).saveGroup(row.id, { id: DEFAULT_GROUP_ID, name: DEFAULT_GROUP_NAME });
        return toAccount(row);
      });
    } catch (err) {
      if (this.engine.isUniqueViolation(err)) throw new AccountExistsError(handle);
      throw err;
    }
  }

  deleteAccount(handle: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const tx = new KyselyStoreTx(trx, this.engine);
      const account = await tx.accountByHandle(handle);
      if (account === undefined) return false;
      // Holds off records of it being added meanwhile (their foreign key waits on this row lock).
      await tx.lockAccounts([account.id]);
      await tx.deleteAccount(account.id);
      return true;
    });
  }

  async secretOf(handle: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('accounts')
      .select(['handle', 'secret_enc'])
      .where('handle', '=', handle.toLowerCase())
      .executeTakeFirst();
    return row && decryptSecret(this.secretKey, row.secret_enc, row.handle);
  }

  async credentialsOf(handle: string): Promise<{ account: Account; secret: string } | undefined> {
    const row = await this.db
      .selectFrom('accounts')
      .select([...ACCOUNT_COLUMNS, 'secret_enc'])
      .where('handle', '=', handle.toLowerCase())
      .executeTakeFirst();
    return row && { account: toAccount(row), secret: decryptSecret(this.secretKey, row.secret_enc, row.handle) };
  }

  async setSecret(handle: string, secret: string): Promise<boolean> {
    const lower = handle.toLowerCase();
    const result = await this.db
      .updateTable('accounts')
      .set({ secret_enc: encryptSecret(this.secretKey, secret, lower) })
      .where('handle', '=', lower)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

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

  private async anyPendingAlert(): Promise<boolean> {
    const row = await this.db.selectFrom('pending_alerts').select('account_id').limit(1).executeTakeFirst();
    return row !== undefined;
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

  async expireAlerts(createdBefore: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      // Explicitly, not by the foreign key's cascade: SQLite enforces it only with foreign_keys on.
      const old = trx.selectFrom('alerts').select('id').where('created_at', '<', createdBefore);
      await trx.deleteFrom('pending_alerts').where('alert_id', 'in', old).execute();
      const result = await trx.deleteFrom('alerts').where('created_at', '<', createdBefore).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
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
    if (row === undefined) return undefined;
    return {
      ...toOutboxItem(row),
      dueAt: row.due_at === null ? null : Number(row.due_at),
      sentAt: row.sent_at === null ? null : Number(row.sent_at),
      lastError: row.last_error,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
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

function newAccountRow(input: NewAccount, engine: Engine, secretEnc: string) {
  return {
    handle: input.handle,
    friendly_name: input.friendlyName,
    secret_enc: secretEnc,
    verified: engine.flag(input.verified),
    kid: engine.flag(false),
    list_version: 1,
    gtc: 'A',
    blp: 'AL',
    ...phoneRow(NO_PHONES),
    ...profileRow({ ...DEFAULT_PROFILE, preferredEmail: input.handle }),
    created_at: Math.floor(Date.now() / 1000),
  } as const satisfies Insertable<AccountsTable>;
}

function phoneRow(phones: Phones) {
  return { phh: phones.PHH, phw: phones.PHW, phm: phones.PHM, mob: phones.MOB, mbe: phones.MBE };
}

function profileRow(profile: Profile) {
  return {
    lang_preference: profile.langPreference,
    preferred_email: profile.preferredEmail,
    country: profile.country,
    postal_code: profile.postalCode,
    gender: profile.gender,
    age: profile.age,
    bday_pre: profile.bdayPre,
    birthday: profile.birthday,
    wallet: profile.wallet,
  };
}

function accountChanges(patch: AccountPatch, engine: Engine): Updateable<AccountsTable> {
  return {
    ...(patch.friendlyName !== undefined && { friendly_name: patch.friendlyName }),
    ...(patch.gtc !== undefined && { gtc: patch.gtc }),
    ...(patch.blp !== undefined && { blp: patch.blp }),
    ...(patch.verified !== undefined && { verified: engine.flag(patch.verified) }),
    ...(patch.kid !== undefined && { kid: engine.flag(patch.kid) }),
    ...definedColumns(PHONE_COLUMNS, patch.phones ?? {}),
    ...definedColumns(PROFILE_COLUMNS, patch.profile ?? {}),
  };
}

function definedColumns<F extends string>(
  columns: Record<F, keyof AccountsTable>,
  values: Partial<Record<F, unknown>>,
): Updateable<AccountsTable> {
  const changes: Record<string, unknown> = {};
  for (const field of Object.keys(columns) as F[]) {
    if (values[field] !== undefined) changes[columns[field]] = values[field];
  }
  return changes as Updateable<AccountsTable>;
}

function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    handle: row.handle,
    friendlyName: row.friendly_name,
    listVersion: Number(row.list_version),
    gtc: row.gtc,
    blp: row.blp,
    phones: { PHH: row.phh, PHW: row.phw, PHM: row.phm, MOB: row.mob, MBE: row.mbe },
    verified: Boolean(row.verified),
    kid: Boolean(row.kid),
    profile: {
      langPreference: row.lang_preference,
      preferredEmail: row.preferred_email,
      country: row.country,
      postalCode: row.postal_code,
      gender: row.gender,
      age: row.age,
      bdayPre: row.bday_pre,
      birthday: row.birthday,
      wallet: row.wallet,
    },
    createdAt: Number(row.created_at),
  };
}

type ContactRow = Pick<ContactsTable, 'contact_id' | 'name' | 'fl' | 'al' | 'bl' | 'rl' | 'group_ids'> & { handle: string };

function toContactEntry(row: ContactRow): ContactEntry {
  return {
    contactId: row.contact_id,
    handle: row.handle,
    name: row.name,
    lists: { FL: Boolean(row.fl), AL: Boolean(row.al), BL: Boolean(row.bl), RL: Boolean(row.rl) },
    groups: row.group_ids === '' ? [] : row.group_ids.split(',').map(Number),
  };
}
