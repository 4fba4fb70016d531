import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import { AccountExistsError } from '../core/store.ts';
import type { AccountPatch, ContactWrite, NewAccount, Store, StoreTx } from '../core/store.ts';
import { DEFAULT_PROFILE, NO_PHONES } from '../core/types.ts';
import type { Account, ContactEntry, ListName, Phones, PrivacyFacts, Profile } from '../core/types.ts';
import type { Engine } from './engine.ts';
import type { AccountsTable, ContactsTable, Database } from './schema.ts';
import { decryptSecret, encryptSecret } from './secrets.ts';

const MAX_LIST_VERSION = 4294967295;

/** The next list version of the row being updated: +1, and after 4294967295 comes 1 (MSNP5.md 8.4). */
const nextListVersion = sql<number>`case when list_version >= ${sql.lit(MAX_LIST_VERSION)} then 1 else list_version + 1 end`;

const ACCOUNT_COLUMNS = [
  'id', 'handle', 'friendly_name', 'verified', 'kid', 'list_version', 'gtc', 'blp',
  'phh', 'phw', 'phm', 'mob', 'mbe', 'lang_preference', 'preferred_email', 'country',
  'postal_code', 'gender', 'age', 'bday_pre', 'birthday', 'wallet', 'created_at',
] as const satisfies readonly (keyof AccountsTable)[];

type AccountRow = Pick<Selectable<AccountsTable>, (typeof ACCOUNT_COLUMNS)[number]>;

const LIST_COLUMNS = { FL: 'fl', AL: 'al', BL: 'bl', RL: 'rl' } as const satisfies Record<ListName, keyof ContactsTable>;

const PHONE_COLUMNS = {
  PHH: 'phh', PHW: 'phw', PHM: 'phm', MOB: 'mob', MBE: 'mbe',
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
    const rows = await this.accounts().where('id', 'in', [...ids]).execute();
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
      fl: flag(lists.FL), al: flag(lists.AL), bl: flag(lists.BL), rl: flag(lists.RL),
      name: write.name,
      group_ids: write.groups.join(','),
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

  findAccount(handle: string): Promise<Account | undefined> {
    return this.outsideTransaction.accountByHandle(handle);
  }

  listAccounts(): Promise<Account[]> {
    return this.outsideTransaction.listAccounts();
  }

  async createAccount(input: NewAccount): Promise<Account> {
    const handle = input.handle.toLowerCase();
    try {
      const row = await this.db
        .insertInto('accounts')
        .values(newAccountRow({ ...input, handle }, this.engine, encryptSecret(this.secretKey, input.secret, handle)))
        .returning(ACCOUNT_COLUMNS)
        .executeTakeFirstOrThrow();
      return toAccount(row);
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

  async setSecret(handle: string, secret: string): Promise<boolean> {
    const lower = handle.toLowerCase();
    const result = await this.db
      .updateTable('accounts')
      .set({ secret_enc: encryptSecret(this.secretKey, secret, lower) })
      .where('handle', '=', lower)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
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
