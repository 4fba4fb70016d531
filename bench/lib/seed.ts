// Writes a Population into a fresh store before the server under test starts (in another process,
// so that nothing the seeding allocated is counted in the server's memory).
import { join } from 'node:path';
import type { Insertable } from 'kysely';
import pg from 'pg';
import { DEFAULT_GROUP_ID, DEFAULT_GROUP_NAME, DEFAULT_PROFILE } from '../../src/core/types.ts';
import type { AccountsTable, ContactsTable } from '../../src/store/schema.ts';
import { encryptSecret, loadSecretKey } from '../../src/store/secrets.ts';
import { SQLITE_FILE, connectSqlite } from '../../src/store/sqlite.ts';
import { openStore } from '../../src/store/open.ts';
import type { Population } from './population.ts';

export interface StoreLocation {
  /** the data directory (SQLite file and the secret key file) */
  dataDir: string;
  /** postgres://… for PostgreSQL; absent for SQLite */
  url?: string;
  /** PostgreSQL schema of this run */
  pgSchema?: string;
}

/** Creates the store (migrated) and writes the population; returns the account ids in population order. */
export async function seedStore(location: StoreLocation, population: Population): Promise<number[]> {
  return location.url ? seedThroughStore(location, population) : seedSqliteInBulk(location, population);
}

/** SQLite: migrate through openStore, then one transaction of multi-row inserts (seconds for 10⁵ rows). */
async function seedSqliteInBulk(location: StoreLocation, population: Population): Promise<number[]> {
  const secretKey = loadSecretKey({ dataDir: location.dataDir });
  await (await openStore({ dataDir: location.dataDir, secretKey })).close();
  const db = connectSqlite(join(location.dataDir, SQLITE_FILE));
  try {
    return await db.transaction().execute(async (trx) => {
      const now = Math.floor(Date.now() / 1000);
      const ids: number[] = [];
      for (const chunk of chunks(population.accounts, 400)) {
        const rows = chunk.map(
          (a): Insertable<AccountsTable> => ({
            handle: a.handle,
            friendly_name: a.name,
            secret_enc: encryptSecret(secretKey, a.password, a.handle),
            verified: 1,
            kid: 0,
            list_version: 1,
            gtc: 'A',
            blp: 'AL',
            phh: population.phone,
            phw: '',
            phm: '',
            mob: 'N',
            mbe: 'N',
            lang_preference: DEFAULT_PROFILE.langPreference,
            preferred_email: a.handle,
            country: '',
            postal_code: '',
            gender: '',
            age: '',
            bday_pre: '',
            birthday: '',
            wallet: '',
            created_at: now,
          }),
        );
        const inserted = await trx.insertInto('accounts').values(rows).returning(['id', 'handle']).execute();
        const byHandle = new Map(inserted.map((r) => [r.handle, r.id]));
        for (const a of chunk) ids.push(byHandle.get(a.handle)!);
        const groups = inserted.map((r) => ({ account_id: r.id, group_id: DEFAULT_GROUP_ID, name: DEFAULT_GROUP_NAME }));
        await trx.insertInto('contact_groups').values(groups).execute();
      }
      const seq = new Map<number, number>();
      for (const chunk of chunks(population.contacts, 1000)) {
        const rows = chunk.map((c): Insertable<ContactsTable> => {
          const n = (seq.get(c.owner) ?? 0) + 1;
          seq.set(c.owner, n);
          return {
            owner_id: ids[c.owner]!,
            contact_id: ids[c.contact]!,
            fl: c.lists.FL ? 1 : 0,
            al: c.lists.AL ? 1 : 0,
            bl: c.lists.BL ? 1 : 0,
            rl: c.lists.RL ? 1 : 0,
            name: population.accounts[c.contact]!.name,
            group_ids: c.lists.FL ? String(DEFAULT_GROUP_ID) : '',
            seq: n,
          };
        });
        await trx.insertInto('contacts').values(rows).execute();
      }
      return ids;
    });
  } finally {
    await db.destroy();
  }
}

/** Any engine, through the Store interface (one commit per account: for small populations). */
async function seedThroughStore(location: StoreLocation, population: Population): Promise<number[]> {
  const secretKey = loadSecretKey({ dataDir: location.dataDir });
  const store = await openStore({ dataDir: location.dataDir, url: location.url, pgSchema: location.pgSchema, secretKey });
  try {
    const ids: number[] = [];
    for (const a of population.accounts) {
      ids.push((await store.createAccount({ handle: a.handle, friendlyName: a.name, secret: a.password, verified: true })).id);
    }
    for (const chunk of chunks(population.contacts, 1000)) {
      await store.transaction(async (tx) => {
        for (const c of chunk) {
          const name = population.accounts[c.contact]!.name;
          await tx.saveContact(ids[c.owner]!, ids[c.contact]!, { name, lists: c.lists, groups: c.lists.FL ? [DEFAULT_GROUP_ID] : [] });
        }
      });
    }
    await store.transaction(async (tx) => {
      for (const id of ids) await tx.updateAccount(id, { phones: { PHH: population.phone } });
    });
    if (location.url) await analyzePostgres(location.url, location.pgSchema);
    return ids;
  } finally {
    await store.close();
  }
}

/**
 * PostgreSQL: table statistics for the seeded rows, as a running store has them (autovacuum takes
 * up to a minute after such a load). Without them the planner guesses the row counts and hashes
 * the whole accounts table for a 20-contact list: milliseconds of PostgreSQL's CPU per sign-in.
 */
async function analyzePostgres(url: string, schema: string | undefined): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const prefix = schema === undefined ? '' : `${client.escapeIdentifier(schema)}.`;
    await client.query(`analyze ${prefix}accounts, ${prefix}contacts, ${prefix}contact_groups`);
  } finally {
    await client.end();
  }
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
