// The reads of every sign-in (and of presence), compiled once per engine, their rows made straight
// into what the store returns (prepared.ts).
import type { Kysely } from 'kysely';
import { ACCOUNT_COLUMNS, type AccountValues, accountOf } from './account-rows.ts';
import { CONTACT_COLUMNS, FACT_COLUMNS, WATCHER_COLUMNS, contactEntryOf, contactWithFactsOf, watcherOf } from './contact-rows.ts';
import type { Engine } from './engine.ts';
import { prepared, preparedValues } from './prepared.ts';
import type { Database } from './schema.ts';

const accounts = (db: Kysely<Database>) => db.selectFrom('accounts').select(ACCOUNT_COLUMNS);

const contactRows = (db: Kysely<Database>, ownerId: number) =>
  db
    .selectFrom('contacts as c')
    .innerJoin('accounts as a', 'a.id', 'c.contact_id')
    .select(CONTACT_COLUMNS)
    .where('c.owner_id', '=', ownerId);

export const accountById = preparedValues((db, _engine, id: number) => accounts(db).where('id', '=', id), accountOf);

/** `handle` in lower case. */
export const accountByHandle = preparedValues((db, _engine, handle: string) => accounts(db).where('handle', '=', handle), accountOf);

/** `handle` in lower case. */
export const credentialsByHandle = preparedValues(
  (db, _engine, handle: string) =>
    db
      .selectFrom('accounts')
      .select([...ACCOUNT_COLUMNS, 'secret_enc'])
      .where('handle', '=', handle),
  (values: [...AccountValues, secretEnc: string]) => ({ account: accountOf(values), secretEnc: values[ACCOUNT_COLUMNS.length] }),
);

export const contactsOf = preparedValues(
  (db, _engine, ownerId: number) => contactRows(db, ownerId).orderBy('c.seq').orderBy('c.contact_id'),
  contactEntryOf,
);

export const contactsWithFactsOf = preparedValues(
  (db, _engine, ownerId: number) =>
    contactRows(db, ownerId)
      .leftJoin('contacts as r', (join) => join.onRef('r.owner_id', '=', 'c.contact_id').on('r.contact_id', '=', ownerId))
      .select(FACT_COLUMNS)
      .orderBy('c.seq')
      .orderBy('c.contact_id'),
  contactWithFactsOf,
);

export const watchersOf = preparedValues(
  (db, engine: Engine, ownerId: number) =>
    db
      .selectFrom('contacts as c')
      .innerJoin('accounts as a', 'a.id', 'c.contact_id')
      .select(WATCHER_COLUMNS)
      .where('c.owner_id', '=', ownerId)
      .where('c.rl', '=', engine.flag(true)),
  watcherOf,
);

export const anyPendingAlert = prepared((db) => db.selectFrom('pending_alerts').select('account_id').limit(1));
