import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';
import {
  decryptSecret,
  KEY_CHECK_META,
  KeyMismatchError,
  MissingKeyError,
  makeKeyCheck,
  opensKeyCheck,
  SecretKeySource,
} from './secrets.ts';

/**
 * Checks the server key against the store, after migrating, in one transaction; returns the key.
 * A store without a key check gets one (a new store, or one from before the check: then its first
 * account must open under the key). A key that does not open it, or a missing key file for a store
 * that holds data, throws before anything is written; only an empty store gets a new key file.
 */
export async function checkStoreKey(db: Kysely<Database>, given: Buffer | SecretKeySource): Promise<Buffer> {
  const source = given instanceof SecretKeySource ? given : SecretKeySource.fixed(given);
  return db.transaction().execute(async (trx) => {
    const stored = await readKeyCheck(trx);
    const { rows } = await sql<{ handle: string; secret_enc: string }>`select handle, secret_enc from accounts order by id limit 1`.execute(
      trx,
    );
    const sample = rows[0];
    let key = source.load();
    if (key === undefined) {
      if (stored !== undefined || sample !== undefined) throw new MissingKeyError(source.path ?? source.description);
      key = source.create();
    }
    if (stored === undefined) {
      if (sample !== undefined && !opensAccount(key, sample)) throw new KeyMismatchError(source.description);
      // Two servers starting on a new PostgreSQL store at once: the second keeps the first one's check.
      await sql`insert into msnd_meta (key, value) values (${KEY_CHECK_META}, ${makeKeyCheck(key)}) on conflict (key) do nothing`.execute(
        trx,
      );
      const written = await readKeyCheck(trx);
      if (written === undefined || !opensKeyCheck(key, written)) throw new KeyMismatchError(source.description);
    } else if (!opensKeyCheck(key, stored)) {
      throw new KeyMismatchError(source.description);
    }
    return key;
  });
}

async function readKeyCheck(db: Kysely<Database>): Promise<string | undefined> {
  const { rows } = await sql<{ value: string }>`select value from msnd_meta where key = ${KEY_CHECK_META}`.execute(db);
  return rows[0]?.value;
}

function opensAccount(key: Buffer, row: { handle: string; secret_enc: string }): boolean {
  try {
    decryptSecret(key, row.secret_enc, row.handle);
    return true;
  } catch {
    return false;
  }
}
